#include <stdio.h>
#include "words.h"

int
main(void)
{
	int i;

	for (i = 0; words_all[i] != NULL; i++)
		puts(words_all[i]);
	fprintf(stderr, "%d words\n", words_count());
	return 0;
}
