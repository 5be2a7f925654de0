#!/bin/bash
# Packaging and installing a port of 4,000 files (Tests/ports/fixtures,
# test/manyfiles), with the framework of this checkout.  Run from the
# repository root:
#     bash Tests/ports/bench-package.sh [ROUNDS]
# Prints the best of ROUNDS (default 3) wall-clock times of `package`
# (from a faked port), of `install` (pkg add) and of removing it (junk),
# and of unpacking the package with tar alone (the floor of install).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${1:-3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ports-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
unset LOCALBASE WRKOBJDIR PACKAGE_REPOSITORY DISTDIR MACHINE_ARCH PKG_DBDIR \
	PORTSDIR PORTSBIN PACKAGE_DIR WORKBASE MAKEFLAGS MFLAGS MAKELEVEL SUBDIR \
	PHASE FLAVOR SUBPACKAGE JUNK_KEEP MAKE_JOBS SSH_CONNECTION PORTS_HOST PORTS_HOST_ID
export LC_ALL=C
. "$ROOT/Tests/ports/fixtures.sh"
copy_tree "$ROOT" "$TMP" && add_fixtures "$ROOT/Tests/ports/fixtures" "$TMP/ports" || exit 1
T=$TMP/ports
PKG=$T/packages/$(uname -m)/all/manyfiles-1.0.tgz
run() {
	SUBDIR=test/manyfiles PHASE=$1 make -C "$T" -s "$1" </dev/null >>"$TMP/log" 2>&1 ||
		{ cat "$TMP/log"; exit 1; }
}
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
for ph in depends prepare fetch patch configure build fake; do run $ph; done
best_pkg= best_add= best_del=
for i in $(seq "$ROUNDS"); do
	rm -f "$PKG"
	s=$(date +%s%N); run package; p=$(ms $s)
	s=$(date +%s%N); run install; a=$(ms $s)
	# install made it a package by hand: make it a dependency so junk removes it
	touch "$T/.work/$(uname -n | cut -d. -f1)/localbase/db/pkg/manyfiles-1.0/+AUTOMATIC"
	s=$(date +%s%N); make -C "$T" -s junk </dev/null >>"$TMP/log" 2>&1 || exit 1; d=$(ms $s)
	[ -z "$best_pkg" ] || [ "$p" -lt "$best_pkg" ] && best_pkg=$p
	[ -z "$best_add" ] || [ "$a" -lt "$best_add" ] && best_add=$a
	[ -z "$best_del" ] || [ "$d" -lt "$best_del" ] && best_del=$d
done
# The floor: unpacking the same package with tar alone.
best_tar=
for i in $(seq "$ROUNDS"); do
	rm -rf "$TMP/floor" && mkdir "$TMP/floor"
	s=$(date +%s%N); tar -xzf "$PKG" -C "$TMP/floor"; t=$(ms $s)
	[ -z "$best_tar" ] || [ "$t" -lt "$best_tar" ] && best_tar=$t
done
echo "files in the package: $(($(tar -tzf "$PKG" | wc -l) - 1))"
echo "package: ${best_pkg} ms   install: ${best_add} ms   remove (junk): ${best_del} ms   (best of $ROUNDS)"
echo "tar -xzf of the package alone: ${best_tar} ms"
