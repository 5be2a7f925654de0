#ifndef GREET_H
#define GREET_H
#include <stddef.h>

/* Write the greeting for name into buf (of size n); returns buf. */
char *greet_make(char *buf, size_t n, const char *name);
#endif
