#include "rle.h"

void
rle_encode(FILE *in, FILE *out)
{
	int c, prev = EOF, run = 0;

	while ((c = getc(in)) != EOF) {
		if (c == prev && run < 255) {
			run++;
			continue;
		}
		if (run > 0) {
			putc(run, out);
			putc(prev, out);
		}
		prev = c;
		run = 1;
	}
	if (run > 0) {
		putc(run, out);
		putc(prev, out);
	}
}

void
rle_decode(FILE *in, FILE *out)
{
	int run, c;

	while ((run = getc(in)) != EOF && (c = getc(in)) != EOF)
		while (run-- > 0)
			putc(c, out);
}
