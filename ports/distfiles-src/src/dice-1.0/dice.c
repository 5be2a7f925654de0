#include <stdio.h>
#include <stdlib.h>
#include <rand.h>

/* dice [COUNT [SEED]]: roll COUNT six-sided dice, repeatably. */
int
main(int argc, char *argv[])
{
	struct rng r;
	int i, n = argc > 1 ? atoi(argv[1]) : 2, sum = 0;

	rng_seed(&r, argc > 2 ? strtoull(argv[2], NULL, 10) : 42);
	for (i = 0; i < n; i++) {
		int v = rng_roll(&r, 6);
		printf("%d ", v);
		sum += v;
	}
	printf("= %d\n", sum);
	return 0;
}
