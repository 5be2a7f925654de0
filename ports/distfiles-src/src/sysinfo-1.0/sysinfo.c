#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Print a one-line summary of the machine. */
int
main(void)
{
	struct utsname u;

	if (uname(&u) != 0)
		return 1;
	printf("%s %s on %s, %ld cpus\n", u.sysname, u.release, u.machine,
	    sysconf(_SC_NPROCESSORS_ONLN));
	return 0;
}
