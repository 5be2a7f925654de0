#ifndef CALC_H
#define CALC_H

/* Evaluate an expression in reverse Polish notation: numbers and the
 * operators + - * /, separated by spaces.  Sets *ok to 0 on error. */
double calc_rpn(const char *expr, int *ok);
#endif
