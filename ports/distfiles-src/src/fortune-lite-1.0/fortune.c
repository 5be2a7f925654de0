#include <stdio.h>
#include <stdlib.h>
#include "fortunes.h"

/* fortune [N]: print fortune number N (modulo the count). */
int
main(int argc, char *argv[])
{
	size_t n = sizeof fortunes / sizeof fortunes[0];
	size_t i = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 0;

	puts(fortunes[i % n]);
	return 0;
}
