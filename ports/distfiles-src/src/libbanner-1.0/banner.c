#include <string.h>
#include <fmt.h>
#include <greet.h>
#include "banner.h"

void
banner_print(FILE *fp, const char *name)
{
	char text[256], rule[260];
	size_t len;

	greet_make(text, sizeof text, name);
	len = strlen(text);
	fmt_repeat(rule, sizeof rule, '-', len + 2);
	fprintf(fp, "+%s+\n| %s |\n+%s+\n", rule, text, rule);
}
