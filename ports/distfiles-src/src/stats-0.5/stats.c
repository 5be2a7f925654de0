#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <rand.h>

/* stats [N]: mean and spread of N rolls of a 100-sided die. */
int
main(int argc, char *argv[])
{
	struct rng r;
	int i, n = argc > 1 ? atoi(argv[1]) : 10000;
	double sum = 0, sq = 0, mean;

	rng_seed(&r, 7);
	for (i = 0; i < n; i++) {
		double v = rng_roll(&r, 100);
		sum += v;
		sq += v * v;
	}
	mean = sum / n;
	printf("n=%d mean=%.2f sd=%.2f\n", n, mean, sqrt(sq / n - mean * mean));
	return 0;
}
