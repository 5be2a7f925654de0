#include <stdio.h>
#include <calc.h>
#include "config.h"

int
main(int argc, char *argv[])
{
	int ok;
	double v;

	if (argc != 2) {
		fprintf(stderr, "usage: calc 'RPN expression'\n");
		return 2;
	}
	v = calc_rpn(argv[1], &ok);
	if (!ok) {
		fprintf(stderr, "calc: bad expression\n");
		return 1;
	}
#if CALC_DOUBLE
	printf("%.3f\n", v);
#else
	printf("%lld\n", (long long)v);
#endif
	return 0;
}
