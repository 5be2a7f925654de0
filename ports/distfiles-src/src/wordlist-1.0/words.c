#include <stddef.h>
#include "words.h"

const char *const words_all[] = {
	"listen", "silent", "enlist", "tinsel", "inlets",
	"stone", "notes", "onset", "tones",
	"night", "thing", "below", "elbow", "bowel",
	"ports", "sport", "strop", "prost",
	NULL
};

int
words_count(void)
{
	int n = 0;

	while (words_all[n] != NULL)
		n++;
	return n;
}
