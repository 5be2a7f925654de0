#include <ctype.h>
#include "fmt.h"

char *
fmt_upper(char *dst, size_t n, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i] != '\0'; i++)
		dst[i] = (char)toupper((unsigned char)src[i]);
	if (n > 0)
		dst[i] = '\0';
	return dst;
}

char *
fmt_repeat(char *dst, size_t n, char c, size_t count)
{
	size_t i;

	for (i = 0; i + 1 < n && i < count; i++)
		dst[i] = c;
	if (n > 0)
		dst[i] = '\0';
	return dst;
}

const char *
fmt_version(void)
{
	return "libfmt 1.2";
}
