#include <stdio.h>
#include <banner.h>

int
main(int argc, char *argv[])
{
	banner_print(stdout, argc > 1 ? argv[1] : "world");
	return 0;
}
