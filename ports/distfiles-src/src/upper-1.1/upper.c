#include <stdio.h>
#include <string.h>
#include <fmt.h>

/* Print standard input in upper case, line by line, through libfmt. */
int
main(void)
{
	char in[1024], out[1024];

	while (fgets(in, sizeof in, stdin) != NULL)
		fputs(fmt_upper(out, sizeof out, in), stdout);
	return 0;
}
