#ifndef FMT_H
#define FMT_H
#include <stddef.h>

/* Copy src into dst (of size n) in upper case; returns dst. */
char *fmt_upper(char *dst, size_t n, const char *src);
/* Fill dst (of size n) with count copies of c; returns dst. */
char *fmt_repeat(char *dst, size_t n, char c, size_t count);
/* Version string of the library. */
const char *fmt_version(void);
#endif
