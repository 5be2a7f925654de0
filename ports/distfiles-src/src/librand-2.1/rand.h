#ifndef RAND_H
#define RAND_H
#include <stdint.h>

/* A seeded, repeatable pseudo-random generator (xorshift64). */
struct rng { uint64_t state; };

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* A number from 1 to n. */
int rng_roll(struct rng *r, int n);
#endif
