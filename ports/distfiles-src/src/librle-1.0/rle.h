#ifndef RLE_H
#define RLE_H
#include <stdio.h>

/* Run-length encode in to out as (count, byte) pairs; decode undoes it. */
void rle_encode(FILE *in, FILE *out);
void rle_decode(FILE *in, FILE *out);
#endif
