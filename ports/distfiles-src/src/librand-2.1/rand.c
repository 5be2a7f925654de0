#include "rand.h"

void
rng_seed(struct rng *r, uint64_t seed)
{
	r->state = seed != 0 ? seed : 88172645463325252ULL;
}

uint64_t
rng_next(struct rng *r)
{
	uint64_t x = r->state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return r->state = x;
}

int
rng_roll(struct rng *r, int n)
{
	return (int)(rng_next(r) % (uint64_t)n) + 1;
}
