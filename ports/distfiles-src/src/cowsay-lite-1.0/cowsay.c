#include <stdio.h>
#include <banner.h>

/* A cow under a greeting banner. */
int
main(int argc, char *argv[])
{
	banner_print(stdout, argc > 1 ? argv[1] : "cow");
	puts("        \\   ^__^");
	puts("         \\  (oo)\\_______");
	puts("            (__)\\       )\\/\\");
	puts("                ||----w |");
	puts("                ||     ||");
	return 0;
}
