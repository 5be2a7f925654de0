#include <stdio.h>
#include <string.h>
#include <rle.h>

/* rlecat [-d]: encode (or with -d decode) standard input. */
int
main(int argc, char *argv[])
{
	if (argc > 1 && strcmp(argv[1], "-d") == 0)
		rle_decode(stdin, stdout);
	else
		rle_encode(stdin, stdout);
	return 0;
}
