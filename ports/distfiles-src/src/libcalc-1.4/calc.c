#include <stdlib.h>
#include <string.h>
#include "calc.h"

double
calc_rpn(const char *expr, int *ok)
{
	double stack[64];
	int depth = 0;
	const char *p = expr;
	char *end;

	*ok = 1;
	while (*p != '\0') {
		if (*p == ' ') {
			p++;
			continue;
		}
		if (strchr("+-*/", *p) != NULL && (p[1] == ' ' || p[1] == '\0')) {
			double b, a;
			if (depth < 2)
				goto fail;
			b = stack[--depth];
			a = stack[--depth];
			switch (*p) {
			case '+': stack[depth++] = a + b; break;
			case '-': stack[depth++] = a - b; break;
			case '*': stack[depth++] = a * b; break;
			default: stack[depth++] = a / b; break;
			}
			p++;
			continue;
		}
		if (depth == 64)
			goto fail;
		stack[depth++] = strtod(p, &end);
		if (end == p)
			goto fail;
		p = end;
	}
	if (depth == 1)
		return stack[0];
fail:
	*ok = 0;
	return 0;
}
