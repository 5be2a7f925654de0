#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* primes [N]: how many primes are below N (default 1000000). */
int
main(int argc, char *argv[])
{
	long n = argc > 1 ? atol(argv[1]) : 1000000, i, j, count = 0;
	char *composite;

	if (n < 2 || (composite = calloc((size_t)n, 1)) == NULL) {
		printf("0\n");
		return 0;
	}
	for (i = 2; i < n; i++) {
		if (composite[i])
			continue;
		count++;
		for (j = i * i; j < n; j += i)
			composite[j] = 1;
	}
	printf("%ld primes below %ld\n", count, n);
	free(composite);
	return 0;
}
