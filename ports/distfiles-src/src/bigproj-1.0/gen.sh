#!/bin/sh
# gen.sh N: write part N of bigproj, a function with enough arithmetic to
# keep the compiler busy for a moment.  gen.sh main: write the main program.
if [ "$1" = main ]; then
	echo '#include <stdio.h>'
	for i in $(seq 1 "$2"); do echo "long part$i(long);"; done
	echo 'int main(void) { long s = 0;'
	for i in $(seq 1 "$2"); do echo "s += part$i($i);"; done
	printf '%s\n' 'printf("bigproj: %d parts, checksum %ld, built with %d jobs\n",'
	echo "  $2, s, BUILD_JOBS); return 0; }"
	exit 0
fi
n=$1
echo "long part$n(long x) {"
echo "  long a = x, b = $n, c = 1;"
i=0
while [ $i -lt 60 ]; do
	echo "  a = (a * $((i % 7 + 3)) + b) % 1000003; b ^= a >> $((i % 5 + 1)); c += (a & $((i + 1))) ? b : a;"
	i=$((i + 1))
done
echo "  return (a + b + c) % 1000;"
echo "}"
