#include <stdio.h>
#include <fmt.h>
#include "greet.h"

#define GREETING "Hallo"

char *
greet_make(char *buf, size_t n, const char *name)
{
	char loud[128];

	fmt_upper(loud, sizeof loud, name);
	snprintf(buf, n, "%s, %s! (%s)", GREETING, loud, fmt_version());
	return buf;
}
