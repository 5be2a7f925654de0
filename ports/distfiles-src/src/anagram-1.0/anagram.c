#include <stdio.h>
#include <string.h>
#include <words.h>

/* Same letters, counted. */
static int
same_letters(const char *a, const char *b)
{
	int count[256] = { 0 };

	if (strlen(a) != strlen(b))
		return 0;
	for (; *a != '\0'; a++, b++) {
		count[(unsigned char)*a]++;
		count[(unsigned char)*b]--;
	}
	for (int i = 0; i < 256; i++)
		if (count[i] != 0)
			return 0;
	return 1;
}

/* anagram WORD: the words of libwords made of the same letters. */
int
main(int argc, char *argv[])
{
	const char *w = argc > 1 ? argv[1] : "listen";
	int i, found = 0;

	printf("%s:", w);
	for (i = 0; words_all[i] != NULL; i++)
		if (strcmp(words_all[i], w) != 0 && same_letters(words_all[i], w)) {
			printf(" %s", words_all[i]);
			found++;
		}
	printf(" (%d of %d words)\n", found, words_count());
	return 0;
}
