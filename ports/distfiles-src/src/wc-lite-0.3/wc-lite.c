#include <ctype.h>
#include <stdio.h>
#include <list.h>

/* Count lines, words and distinct words on standard input. */
int
main(void)
{
	struct list *words = NULL;
	char word[256];
	int c, len = 0, lines = 0, total = 0;

	while ((c = getchar()) != EOF) {
		if (c == '\n')
			lines++;
		if (isalnum(c) && len < (int)sizeof word - 1) {
			word[len++] = (char)tolower(c);
			continue;
		}
		if (len > 0) {
			word[len] = '\0';
			words = list_count(words, word);
			total++;
			len = 0;
		}
	}
	printf("%d lines, %d words, %d distinct\n", lines, total, list_length(words));
	list_free(words);
	return 0;
}
