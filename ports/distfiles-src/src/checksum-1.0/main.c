#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <hash.h>

/* Print the FNV-1a hash of each argument, or of standard input. */
int
main(int argc, char *argv[])
{
	char buf[4096];
	size_t n, len = 0;
	int i;

	for (i = 1; i < argc; i++)
		printf("%016" PRIx64 "  %s\n", hash_fnv1a(argv[i], strlen(argv[i])), argv[i]);
	if (argc > 1)
		return 0;
	while ((n = fread(buf + len, 1, sizeof buf - len, stdin)) > 0 && len < sizeof buf)
		len += n;
	printf("%016" PRIx64 "  -\n", hash_fnv1a(buf, len));
	return 0;
}
