#ifndef BANNER_H
#define BANNER_H
#include <stdio.h>

/* Print the greeting for name inside a box of dashes to fp. */
void banner_print(FILE *fp, const char *name);
#endif
