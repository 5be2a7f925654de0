#include <stdio.h>
#include <stdlib.h>
#include <fmt.h>
#include <rand.h>

/* guess SEED N...: tell whether each guess is the secret number (1-100). */
int
main(int argc, char *argv[])
{
	struct rng r;
	char line[64];
	int i, secret;

	if (argc < 2) {
		fprintf(stderr, "usage: guess SEED [N...]\n");
		return 2;
	}
	rng_seed(&r, strtoull(argv[1], NULL, 10));
	secret = rng_roll(&r, 100);
	for (i = 2; i < argc; i++) {
		int g = atoi(argv[i]);
		fmt_upper(line, sizeof line, g < secret ? "too low" :
		    g > secret ? "too high" : "right");
		printf("%d: %s\n", g, line);
	}
	return 0;
}
