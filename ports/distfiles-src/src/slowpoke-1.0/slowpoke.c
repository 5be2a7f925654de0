#include <stdio.h>

int
main(void)
{
	puts("slowpoke: finally built");
	return 0;
}
