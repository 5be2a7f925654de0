#!/bin/bash
# Tests of the demo ports tree and its make framework (ports/).  They run
# the real framework on a copy of the tree in a temporary directory, through
# the calls of tree-protocol.md.  Run from the repository root:
#     bash Tests/ports/run-tests.sh
# The last line is "N passed, N failed"; the exit status is non-zero when a
# test failed.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ports-tests.XXXXXX")
T=$TMP/ports
LOG=$TMP/log
HTTP_PID=
passed=0
failed=0

cleanup() {
	[ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null && wait "$HTTP_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# Nothing from the caller's environment may steer the framework.
unset LOCALBASE WRKOBJDIR PACKAGE_REPOSITORY DISTDIR MACHINE_ARCH PKG_DBDIR \
	PORTSDIR PORTSBIN PACKAGE_DIR WORKBASE MAKEFLAGS MFLAGS MAKELEVEL SUBDIR \
	PHASE FLAVOR SUBPACKAGE JUNK_KEEP MAKE_JOBS SSH_CONNECTION PORTS_HOST PORTS_HOST_ID
export HOME=$TMP/home LC_ALL=C
mkdir -p "$HOME"

. "$ROOT/Tests/ports/fixtures.sh"
copy_tree "$ROOT" "$TMP" || exit 1
T=$(cd "$T" && pwd -P)
HOSTNAME_SHORT=$(uname -n | cut -d. -f1)
LB=$T/.work/$HOSTNAME_SHORT/localbase
PKGS=$T/packages/$(uname -m)/all

ok() {
	passed=$((passed + 1))
	echo "ok - $1"
}
not_ok() {
	failed=$((failed + 1))
	echo "FAIL - $1"
	[ -f "$LOG" ] && sed 's/^/    | /' "$LOG" | tail -25
}
# check NAME COMMAND...: one test, passed when COMMAND succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# tree TARGET [MAKE ARGS...]: a call of the protocol, output in $LOG.
tree() {
	make -C "$T" -s "$@" </dev/null >"$LOG" 2>&1
}
# phase FULLPKGPATH PHASE [MAKE ARGS...]
phase() {
	local fp=$1 ph=$2
	shift 2
	SUBDIR=$fp PHASE=$ph make -C "$T" -s "$ph" "$@" </dev/null >>"$LOG" 2>&1
}
# phases FULLPKGPATH PHASE...: run phases in order, stop at a failure.
phases() {
	local fp=$1 ph
	shift
	: >"$LOG"
	for ph in "$@"; do
		phase "$fp" "$ph" || { echo ">>> $ph failed for $fp" >>"$LOG"; return 1; }
	done
}
ALL_PHASES="depends prepare fetch patch configure build fake package clean"
build_port() {
	phases "$1" $ALL_PHASES
}
has() { grep -qxF -- "$1" "$LOG"; }
has_re() { grep -qE -- "$1" "$LOG"; }
contents() { tar -xzOf "$PKGS/$1.tgz" +CONTENTS; }
installed() { [ -f "$LB/db/pkg/$1/+CONTENTS" ]; }
automatic() { [ -f "$LB/db/pkg/$1/+AUTOMATIC" ]; }

# A listing of the tree's own files (not the build products), to prove that
# building writes nothing there.
snapshot() {
	(cd "$T" && find . \( -path ./.work -o -path ./packages -o -path ./distfiles \) \
		-prune -o -type d -printf '%p/\n' -o -printf '%p %s %T@\n' | sort)
}
snapshot >"$TMP/before"

# ---- settings ----------------------------------------------------------
t_print_data() {
	tree print-data &&
	has "PACKAGE_REPOSITORY=$T/packages" && has "DISTDIR=$T/distfiles" &&
	has "MACHINE_ARCH=$(uname -m)" && has "LOCALBASE=$LB" &&
	has "WRKOBJDIR=$T/.work/obj" && ! grep -qv '^[A-Z_]*=' "$LOG"
}
check "print-data prints the defaults, all inside the tree" t_print_data

t_print_data_env() {
	LOCALBASE=$TMP/lb-env WRKOBJDIR=rel/obj tree print-data &&
	has "LOCALBASE=$TMP/lb-env" && has "WRKOBJDIR=$T/rel/obj" || return 1
	printf 'PACKAGE_REPOSITORY = /srv/pkgs\nLOCALBASE ?= /opt/lb\n' >"$T/mk.conf"
	tree print-data; local s=$?
	rm -f "$T/mk.conf"
	[ $s = 0 ] && has "PACKAGE_REPOSITORY=/srv/pkgs" && has "LOCALBASE=/opt/lb" || return 1
	# a call through ssh gets a LOCALBASE of the address it reached
	SSH_CONNECTION="10.200.0.1 40000 10.200.0.7 22" tree print-data &&
	has "LOCALBASE=$T/.work/$HOSTNAME_SHORT@10.200.0.7/localbase"
}
check "print-data follows the environment, mk.conf and the host" t_print_data_env

# ---- listing -----------------------------------------------------------
# Every line of a listing has one of the shapes of the protocol.
well_formed() {
	! grep -vE '^(===> [^ ]+|===> Exiting [^ ]+ with an error|>> Broken dependency: [^ ]+ non existent|[^ =]+\.[A-Z][A-Z_0-9]*=.*)$' "$LOG"
}

t_dump_batch() {
	SUBDIR="misc/hello text/wordlist math/calc,double devel/libfmt, games/anagram" \
		tree dump-vars && well_formed &&
	has "===> misc/hello" && has "misc/hello.FULLPKGNAME=hello-3.1" &&
	has "misc/hello.LIB_DEPENDS=devel/libbanner" &&
	has "misc/hello.DISTFILES=hello-3.1.tar.gz" &&
	has "misc/hello.CHECKSUM_FILE=$T/misc/hello/distinfo" &&
	has "misc/hello.SITES=file://$T/distfiles-src/" &&
	has "misc/hello.WRKDIR=$T/.work/obj/misc.hello" &&
	has "math/calc,double.WRKDIR=$T/.work/obj/math.calc-double" &&
	has "===> text/wordlist" &&
	has "text/wordlist,-main.FULLPKGNAME=wordlist-1.0" &&
	has "text/wordlist,-lib.FULLPKGNAME=wordlist-lib-1.0" &&
	has "text/wordlist,-lib.MULTI_PACKAGES=-main -lib" &&
	has "===> math/calc,double" && has "math/calc,double.FULLPKGNAME=calc-1.4-double" &&
	has "math/calc,double.FLAVOR=double" &&
	has "===> devel/libfmt," && has "devel/libfmt.FULLPKGNAME=libfmt-1.2" &&
	has "games/anagram.LIB_DEPENDS=text/wordlist,-lib" &&
	[ "$(grep -c '^===> ' "$LOG")" = 5 ] &&
	SUBDIR="text/wordlist,-lib" tree dump-vars && has "===> text/wordlist,-lib" &&
	has "text/wordlist,-main.FULLPKGNAME=wordlist-1.0" &&
	has "text/wordlist,-lib.FULLPKGNAME=wordlist-lib-1.0"
}
check "dump-vars lists a batch of fullpkgpaths" t_dump_batch

t_dump_tree() {
	local start end
	start=$(date +%s%N)
	tree dump-vars || return 1
	end=$(date +%s%N)
	well_formed && ! has_re '^===> Exiting' &&
	[ "$(grep -c '^===> ' "$LOG")" -ge 26 ] &&
	[ "$(sed -n 's|^===> \([^/]*\)/.*|\1|p' "$LOG" | sort -u | wc -l)" -ge 5 ] &&
	has "===> math/calc" && has "===> math/calc,double" &&
	has "sysutils/winonly.IGNORE=needs the Windows API" &&
	has "devel/bigproj.DPB_PROPERTIES=parallel" &&
	has "misc/greet-all.RUN_DEPENDS=misc/hello" &&
	[ $(((end - start) / 1000000)) -lt 5000 ]
}
check "dump-vars with no SUBDIR lists the whole tree, flavors included, quickly" t_dump_tree

t_dump_missing() {
	SUBDIR="devel/nonesuch ../etc devel/libfmt" tree dump-vars && well_formed &&
	has ">> Broken dependency: devel/nonesuch non existent" &&
	has ">> Broken dependency: ../etc non existent" &&
	has "devel/libfmt.FULLPKGNAME=libfmt-1.2"
}
check "dump-vars reports a missing directory" t_dump_missing

t_dump_broken() {
	mkdir -p "$T/devel/broken"
	printf 'COMMENT = no DISTNAME here\ninclude ../../infrastructure/mk/port.mk\n' \
		>"$T/devel/broken/Makefile"
	SUBDIR="devel/broken math/calc,nosuch devel/libfmt" tree dump-vars
	local s=$?
	rm -rf "$T/devel/broken"
	[ $s = 0 ] &&
	has "===> devel/broken" && has "===> Exiting devel/broken with an error" &&
	has "===> Exiting math/calc,nosuch with an error" &&
	has "devel/libfmt.FULLPKGNAME=libfmt-1.2" &&
	! has_re '^devel/broken\.'
}
check "dump-vars reports a broken port and an unknown flavor, and goes on" t_dump_broken

# ---- distfiles ---------------------------------------------------------
t_fetch_file_site() {
	phases devel/libfmt fetch checksum && [ -f "$T/distfiles/libfmt-1.2.tar.gz" ] &&
	[ ! -e "$T/distfiles/libfmt-1.2.tar.gz.part" ]
}
check "fetch gets a missing distfile from a file:// site" t_fetch_file_site

t_bad_checksum() {
	local f=$T/distfiles/libgreet-2.0.tar.gz
	mkdir -p "$T/distfiles"
	head -c 560 /dev/zero >"$f"       # the right size, the wrong bytes
	: >"$LOG"
	! phase devel/libgreet checksum && has_re 'Checksum mismatch for libgreet-2.0.tar.gz' &&
	[ ! -e "$f" ] && [ -f "$f.bad" ] || return 1
	# extract (and so build) refuse it too, and fetch replaces it
	echo garbage >"$f"
	! phase devel/libgreet build && [ ! -e "$f" ] && [ ! -e "$T/.work/obj/devel.libgreet" ] &&
	phase devel/libgreet fetch && phase devel/libgreet checksum && [ -f "$f" ]
}
check "a wrong checksum is an error and the bad file loses its name" t_bad_checksum

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

t_http_fetch() {
	local port srv=$TMP/site i
	mkdir -p "$srv/good" "$srv/evil"
	cp "$T/distfiles-src/librand-2.1.tar.gz" "$srv/good/"
	echo "not the real thing" >"$srv/evil/librand-2.1.tar.gz"
	port=$(free_port)
	python3 -m http.server "$port" --bind 127.0.0.1 --directory "$srv" \
		>"$TMP/http.log" 2>&1 &
	HTTP_PID=$!
	for i in $(seq 50); do
		curl -fs "http://127.0.0.1:$port/good/" >/dev/null && break
		sleep 0.1
	done
	# A port of our own, fetching from the server: the first site serves a
	# bad file, the second the good one.
	mkdir -p "$T/test/httpfetch"
	cp "$T/math/librand/distinfo" "$T/test/httpfetch/"
	cat >"$T/test/httpfetch/Makefile" <<MK
DISTNAME =	librand-2.1
DIST_SUBDIR =	http
SITES =		http://127.0.0.1:$port/evil/ http://127.0.0.1:$port/good/
include ../../infrastructure/mk/port.mk
MK
	sed -i 's/(librand/(http\/librand/' "$T/test/httpfetch/distinfo"
	local f=$T/distfiles/http/librand-2.1.tar.gz
	phases test/httpfetch fetch checksum && [ -f "$f" ] && [ ! -e "$f.part" ] &&
	has_re 'Checksum mismatch|Size mismatch' &&
	cmp -s "$f" "$srv/good/librand-2.1.tar.gz" || return 1
	# only the bad site: an error, and nothing under the real name
	rm -f "$f"
	sed -i "s|^SITES =.*|SITES = http://127.0.0.1:$port/evil/ http://127.0.0.1:$port/none/|" \
		"$T/test/httpfetch/Makefile"
	! phases test/httpfetch fetch && [ ! -e "$f" ] && [ ! -e "$f.part" ] &&
	has_re 'Could not fetch librand-2.1.tar.gz'
}
check "fetch from an HTTP server, skipping a site with a bad file" t_http_fetch
rm -rf "$T/test"
if [ -n "$HTTP_PID" ]; then
	kill "$HTTP_PID"
	wait "$HTTP_PID" 2>/dev/null
	HTTP_PID=
fi

t_fetch_manually() {
	mkdir -p "$T/test/manual"
	cp "$T/text/upper/distinfo" "$T/test/manual/"
	printf 'DISTNAME = upper-1.1\nFETCH_MANUALLY = upper-1.1.tar.gz\ninclude ../../infrastructure/mk/port.mk\n' \
		>"$T/test/manual/Makefile"
	SUBDIR=test/manual tree dump-vars &&
	has "test/manual.FETCH_MANUALLY=upper-1.1.tar.gz" &&
	! phases test/manual fetch && has_re 'must be fetched by hand'
	local s=$?
	rm -rf "$T/test"
	return $s
}
check "FETCH_MANUALLY files are listed and not fetched" t_fetch_manually

t_prepare() {
	mkdir -p "$T/test/needy"
	printf 'DISTNAME = needy-1.0\nDISTFILES =\nBUILD_TOOLS = nonesuch-tool-xyz\ninclude ../../infrastructure/mk/port.mk\n' \
		>"$T/test/needy/Makefile"
	! phases test/needy prepare && has_re 'needs nonesuch-tool-xyz, which is not installed' &&
	! phases text/upper prepare && has_re 'not installed: libfmt-1.2'
	local s=$?
	rm -rf "$T/test"
	return $s
}
check "prepare finds a missing tool and a missing dependency" t_prepare

# ---- a dependency chain, by hand ---------------------------------------
CHAIN="devel/libfmt devel/libgreet devel/libbanner misc/hello"
t_chain() {
	local p
	for p in $CHAIN; do build_port "$p" || return 1; done
	[ -f "$PKGS/libfmt-1.2.tgz" ] && [ -f "$PKGS/libgreet-2.0.tgz" ] &&
	[ -f "$PKGS/libbanner-1.0.tgz" ] && [ -f "$PKGS/hello-3.1.tgz" ] &&
	installed libbanner-1.0 && automatic libbanner-1.0 &&
	installed libgreet-2.0 && installed libfmt-1.2 && ! installed hello-3.1 &&
	[ ! -e "$T/.work/obj/misc.hello" ]
}
check "a four-deep chain builds phase by phase in dependency order" t_chain

t_chain_program() {
	: >"$LOG"
	phase misc/hello install && installed hello-3.1 && ! automatic hello-3.1 &&
	"$LB/bin/hello" tests >"$LOG" &&
	has "| Hello, TESTS! (libfmt 1.2) |" &&
	has "+----------------------------+"
}
check "the chain's program shows all three libraries at work" t_chain_program

t_packing_list() {
	contents hello-3.1 >"$LOG" &&
	has "@name hello-3.1" && has "@version 3.1" && has "@fullpkgpath misc/hello" &&
	has "@depend devel/libbanner:libbanner-1.0" && has "bin/hello" &&
	has "@sha256 $(sha256sum "$LB/bin/hello" | cut -c1-64 | tr a-f A-F | basenc --base16 -d | base64)" &&
	has "@size $(wc -c <"$LB/bin/hello")" &&
	[ "$(tar -tzf "$PKGS/hello-3.1.tgz" | sort | tr '\n' ' ')" = "+CONTENTS bin/hello " ]
}
check "a package holds its packing list: name, version, depends, checksums" t_packing_list

t_small_port() {
	rm -f "$PKGS/libgreet-2.0.tgz"
	phases devel/libgreet depends prepare checksum build package clean &&
	[ -f "$PKGS/libgreet-2.0.tgz" ] &&
	has "===>   Applying patch-greet_c" &&
	tar -xzOf "$PKGS/libgreet-2.0.tgz" lib/libgreet.a | grep -aq Hello &&
	! tar -xzOf "$PKGS/libgreet-2.0.tgz" lib/libgreet.a | grep -aq Hallo
}
check "a small port skipping patch, configure and fake is still patched and packaged" t_small_port

t_package_twice() {
	phases devel/libfmt package && has_re 'already built' && [ ! -e "$T/.work/obj/devel.libfmt" ]
}
check "package leaves an existing package alone" t_package_twice

# ---- configure styles --------------------------------------------------
t_gnu_configure() {
	# A tiny autotools-style project of our own: a library and a program,
	# packed into DISTDIR, checksummed with makesum, then built.
	local src=$TMP/gsrc
	mkdir -p "$src/tinylib-0.1" "$src/tinyprog-0.1" "$T/test/tinylib" "$T/test/tinyprog"
	cat >"$src/tinylib-0.1/configure" <<'SH'
#!/bin/sh
for a; do case $a in --prefix=*) prefix=${a#*=};; esac; done
echo "prefix = $prefix" >config.mk
echo "configured for $prefix"
SH
	chmod +x "$src/tinylib-0.1/configure"
	cp "$src/tinylib-0.1/configure" "$src/tinyprog-0.1/configure"
	echo 'int tiny_answer(void) { return 42; }' >"$src/tinylib-0.1/tiny.c"
	echo 'int tiny_answer(void);' >"$src/tinylib-0.1/tiny.h"
	printf 'include config.mk\nall: libtiny.a\nlibtiny.a: tiny.o\n\tar rcs $@ tiny.o\ninstall:\n\tinstall -D -m 644 libtiny.a $(DESTDIR)$(prefix)/lib/libtiny.a\n\tinstall -D -m 644 tiny.h $(DESTDIR)$(prefix)/include/tiny.h\n' \
		>"$src/tinylib-0.1/Makefile"
	printf '#include <stdio.h>\n#include <tiny.h>\nint main(void) { printf("answer %%d\\n", tiny_answer()); return 0; }\n' \
		>"$src/tinyprog-0.1/main.c"
	printf 'include config.mk\nall: tinyprog\ntinyprog: main.o\n\t$(CC) $(LDFLAGS) -o $@ main.o -ltiny\ninstall:\n\tinstall -D tinyprog $(DESTDIR)$(prefix)/bin/tinyprog\n' \
		>"$src/tinyprog-0.1/Makefile"
	mkdir -p "$T/distfiles"
	tar -czf "$T/distfiles/tinylib-0.1.tar.gz" -C "$src" tinylib-0.1
	tar -czf "$T/distfiles/tinyprog-0.1.tar.gz" -C "$src" tinyprog-0.1
	printf 'DISTNAME = tinylib-0.1\nCONFIGURE_STYLE = gnu\ninclude ../../infrastructure/mk/port.mk\n' \
		>"$T/test/tinylib/Makefile"
	printf 'DISTNAME = tinyprog-0.1\nCONFIGURE_STYLE = gnu\nLIB_DEPENDS = tinylib->=0.1:test/tinylib\ninclude ../../infrastructure/mk/port.mk\n' \
		>"$T/test/tinyprog/Makefile"
	phases test/tinylib makesum && phases test/tinyprog makesum &&
	grep -q '^SHA256 (tinylib-0.1.tar.gz) = ' "$T/test/tinylib/distinfo" &&
	build_port test/tinylib && has "configured for $LB" &&
	build_port test/tinyprog && installed tinylib-0.1 && automatic tinylib-0.1 &&
	contents tinyprog-0.1 | grep -qx '@depend test/tinylib:tinylib-0.1' &&
	phases test/tinyprog install && [ "$("$LB/bin/tinyprog")" = "answer 42" ]
}
check "an autotools-style port is configured, packaged and installed through depends" t_gnu_configure

t_cmake() {
	command -v cmake >/dev/null || { echo "cmake is not installed" >"$LOG"; return 1; }
	build_port devel/libhash && build_port sysutils/checksum &&
	installed libhash-1.0 && automatic libhash-1.0 &&
	phases sysutils/checksum install &&
	[ "$("$LB/bin/checksum" hi)" = "08ba5f07b55ec3da  hi" ]
}
check "a CMake library and a CMake program that links it through depends" t_cmake

# ---- flavors, subpackages, properties ------------------------------------
t_flavors() {
	build_port math/libcalc && build_port math/calc && build_port math/calc,double &&
	[ -f "$PKGS/calc-1.4.tgz" ] && [ -f "$PKGS/calc-1.4-double.tgz" ] &&
	contents calc-1.4-double | grep -qx '@fullpkgpath math/calc,double' &&
	phases math/calc,double install && [ "$("$LB/bin/calc" '1 2 / 3 +')" = 3.500 ] &&
	! phases math/calc install && has_re 'calc-1.4 conflicts with installed files: bin/calc' &&
	installed calc-1.4-double && ! installed calc-1.4 &&
	LOCALBASE=$TMP/lb3 SUBDIR=math/calc make -C "$T" -s install >"$LOG" 2>&1 &&
	[ "$("$TMP/lb3/bin/calc" '1 2 / 3 +')" = 3 ]
}
check "both flavors of a port build; they conflict when installed together" t_flavors

t_multi_packages() {
	build_port text/wordlist,-main &&
	[ -f "$PKGS/wordlist-1.0.tgz" ] && [ -f "$PKGS/wordlist-lib-1.0.tgz" ] &&
	[ "$(tar -tzf "$PKGS/wordlist-lib-1.0.tgz" | sort | tr '\n' ' ')" = "+CONTENTS include/words.h lib/libwords.a " ] &&
	[ "$(tar -tzf "$PKGS/wordlist-1.0.tgz" | sort | tr '\n' ' ')" = "+CONTENTS bin/words " ] &&
	contents wordlist-lib-1.0 | grep -qx '@fullpkgpath text/wordlist,-lib' &&
	build_port games/anagram && installed wordlist-lib-1.0 && ! installed wordlist-1.0 &&
	phases games/anagram install && "$LB/bin/anagram" stone >"$LOG" &&
	has "stone: notes onset tones (3 of 18 words)"
}
check "a multi-package port makes all its packages in one build" t_multi_packages

t_parallel() {
	phases devel/bigproj depends prepare fetch patch configure &&
	phase devel/bigproj build MAKE_JOBS=2 && has "===> Building for bigproj-1.0 with 2 job(s)" &&
	phases devel/bigproj fake package install clean &&
	"$LB/bin/bigproj" >"$LOG" && has_re 'built with 2 jobs' || return 1
	# a port without the parallel property ignores MAKE_JOBS
	phases sysutils/sysinfo depends prepare fetch && phase sysutils/sysinfo build MAKE_JOBS=2 &&
	has "===> Building for sysinfo-1.0 with 1 job(s)"
}
check "a parallel port honours MAKE_JOBS, another port does not" t_parallel

t_ignore() {
	! phases sysutils/winonly build && has_re 'ignored: needs the Windows API' &&
	[ ! -e "$PKGS/winonly-1.0.tgz" ]
}
check "an IGNOREd port refuses to build and says why" t_ignore

t_run_depends_only() {
	build_port misc/greet-all &&
	! has_re '^Installing' &&
	contents greet-all-1.0 | grep -qx '@depend misc/hello:hello-3.1' || return 1
	# installed elsewhere, the run dependency comes along
	LOCALBASE=$TMP/lb2 SUBDIR=misc/greet-all make -C "$T" -s install >"$LOG" 2>&1 &&
	[ -f "$TMP/lb2/db/pkg/hello-3.1/+AUTOMATIC" ] &&
	PATH=$TMP/lb2/bin:$PATH greet-all ann >"$LOG" && has "| Hello, ANN! (libfmt 1.2) |"
}
check "a port with a run dependency only: nothing to install to build, all to run" t_run_depends_only

t_stage_dependency() {
	mkdir -p "$T/test/peek"
	printf 'DISTNAME = peek-1.0\nDISTFILES =\nBUILD_DEPENDS = devel/liblist:patch\ninclude ../../infrastructure/mk/port.mk\n' \
		>"$T/test/peek/Makefile"
	phases devel/liblist clean fetch && phases test/peek depends && [ -f "$T/.work/obj/devel.liblist/.cookie-patch" ] &&
	[ ! -e "$T/.work/obj/devel.liblist/.cookie-build" ]
	local s=$?
	rm -rf "$T/test"
	return $s
}
check "a :patch dependency patches the other port instead of installing it" t_stage_dependency

# ---- run paths, declared dependencies, knobs (Tests/ports/fixtures) ----
# In a LOCALBASE of their own, so that the junk test below sees only the
# demo ports.  zlite is the tree's libz.so.9; the system has libz.so.1.
LBF=$TMP/lb-fixtures
add_fixtures "$ROOT/Tests/ports/fixtures" "$T" || not_ok "the fixture ports could not be added"
fx() { LOCALBASE=$LBF "$@"; }
# loads FILE LIB LOCALBASE: the dynamic loader resolves LIB of FILE there.
loads() {
	/lib64/ld-linux-x86-64.so.2 --list "$1" >"$LOG" 2>&1 &&
	has_re "^[[:space:]]$2 => $3/(bin/\.\./)?lib/$2 "
}

t_runpath() {
	fx build_port test/zlite && fx build_port test/zver && fx phases test/zver install || return 1
	[ "$("$LBF/bin/zver")" = "zlib 9.9-tree (pkg-config 9.9)" ] &&
	loads "$LBF/bin/zver" libz.so.9 "$LBF" &&
	readelf -d "$LBF/bin/zver" | grep -qF 'Library runpath: [$ORIGIN/../lib]' &&
	readelf -d "$LBF/lib/libz.so.9.9" | grep -qF 'Library runpath: [$ORIGIN]' || return 1
	# the same package, installed in another LOCALBASE, loads that one's copy
	LOCALBASE=$TMP/lb-moved SUBDIR=test/zver make -C "$T" -s install >"$LOG" 2>&1 &&
	[ "$("$TMP/lb-moved/bin/zver")" = "zlib 9.9-tree (pkg-config 9.9)" ] &&
	loads "$TMP/lb-moved/bin/zver" libz.so.9 "$TMP/lb-moved"
}
check "a program loads the tree's library, not the system's, wherever it is installed" t_runpath

t_forgot_system() {
	[ -f /usr/include/zlib.h ] || { echo "zlib1g-dev is not installed" >"$LOG"; return 1; }
	! LOCALBASE=$TMP/lb-empty build_port test/zforgot &&
	has_re 'bin/zver: needs libz\.so\.1, which no declared dependency provides' &&
	[ ! -e "$PKGS/zforgot-1.0.tgz" ]
}
check "package refuses a program linked to a system library it did not declare" t_forgot_system

t_forgot_tree() {
	# zlite is installed in this LOCALBASE by zver: visible, but not declared
	phases test/zforgot clean && ! fx build_port test/zforgot &&
	has ">> include/zlib.h: read from zlite-9.9, which is not a declared dependency" &&
	[ ! -e "$PKGS/zforgot-1.0.tgz" ] &&
	! fx build_port test/zforgotmd && [ -f "$T/.work/obj/test.zforgotmd/zver-1.0/zver.d" ] &&
	has ">> include/zlib.h: read from zlite-9.9, which is not a declared dependency"
}
check "package refuses a header of an installed package the port did not declare" t_forgot_tree

t_build_only() {
	! fx build_port test/zbuildonly &&
	has_re 'bin/zver: needs libz\.so\.9 of zlite-9\.9, which is only a BUILD_DEPENDS: it must be in LIB_DEPENDS' &&
	[ ! -e "$PKGS/zbuildonly-1.0.tgz" ]
}
check "package refuses a program loading a library that is only a BUILD_DEPENDS" t_build_only

t_runpath_repaired() {
	# The source's Makefile drops the framework's LDFLAGS: the framework
	# still gives the program its run path; with RUNPATH=keep the check
	# sees that the tree's library is out of reach.
	local ph
	: >"$LOG"
	for ph in $ALL_PHASES; do
		fx phase test/znorpath $ph RUNPATH=keep || break
	done
	has_re 'bin/zver: needs libz\.so\.9 of zlite-9\.9 .*, but its run path does not reach it' &&
	[ ! -e "$PKGS/znorpath-1.0.tgz" ] && phases test/znorpath clean &&
	fx build_port test/znorpath &&
	LOCALBASE=$TMP/lb-norpath SUBDIR=test/znorpath make -C "$T" -s install >"$LOG" 2>&1 &&
	loads "$TMP/lb-norpath/bin/zver" libz.so.9 "$TMP/lb-norpath"
}
check "a program linked without a run path gets one; without it package refuses it" t_runpath_repaired

t_work_references() {
	! fx build_port test/symlinks &&
	has_re '^>> symlinks-1.0: bin/tool-alias -> .*/fake/.*: a symlink into the work directory' &&
	! fx build_port test/textref &&
	has_re '^>> textref-1.0: bin/tool-alias: a text file naming the work directory' &&
	[ ! -e "$PKGS/symlinks-1.0.tgz" ] && [ ! -e "$PKGS/textref-1.0.tgz" ]
}
check "package refuses a symlink or a text file pointing into the work directory" t_work_references

t_knobs() {
	fx build_port test/knobs &&
	has "===>   Running post-patch for knobs-1.0" && has "===>   Running post-fake for knobs-1.0" &&
	fx phases test/knobs install &&
	[ "$("$LBF/bin/knobs-alias")" = "conf=from-configure-env make=from-make-env hook=patched-by-hook" ] &&
	[ "$(readlink "$LBF/bin/knobs-alias")" = knobs ]
}
check "WRKSRC in a subdirectory, CONFIGURE_ENV, MAKE_ENV, FAKE_FLAGS and hooks" t_knobs

t_hook_fails() {
	printf 'DISTNAME = knobs-1.0\nWRKSRC = $(WRKDIST)/src\nCONFIGURE_STYLE = gnu\npost-configure = false\ninclude ../../infrastructure/mk/port.mk\n' \
		>"$T/test/knobs/Makefile"
	! fx phases test/knobs clean configure && [ ! -e "$T/.work/obj/test.knobs/.cookie-configure" ]
}
check "a failing hook fails its phase" t_hook_fails

t_many_files() {
	local f
	fx build_port test/manyfiles && fx phases test/manyfiles install &&
	[ "$(contents manyfiles-1.0 | grep -c '^share/many/')" = 4000 ] &&
	contents manyfiles-1.0 | grep -A1 -xF share/many/d7/f7 >"$LOG" &&
	has "@sha256 $(sha256sum "$LBF/share/many/d7/f7" | cut -c1-64 | tr a-f A-F | basenc --base16 -d | base64)" &&
	[ "$(find "$LBF/share/many" -type f | wc -l)" = 4000 ] || return 1
	touch "$LBF/db/pkg/manyfiles-1.0/+AUTOMATIC"
	JUNK_KEEP= fx tree junk && [ ! -e "$LBF/share/many" ] && [ ! -e "$LBF/share" ] &&
	[ -x "$LBF/bin/zver" ]
}
check "a package of 4,000 files is packaged, installed and removed" t_many_files
rm -rf "$T/test"

# ---- junk and concurrency ----------------------------------------------
t_junk() {
	# Installed by hand earlier: hello, checksum, calc-1.4-double, anagram,
	# tinyprog.  They and what they need at run time stay; liblist-0.9 is
	# kept by name; librand-2.1 (for dice) goes.
	build_port math/librand && build_port games/dice && build_port devel/liblist &&
	build_port text/wc-lite || return 1
	installed librand-2.1 && automatic librand-2.1 && installed liblist-0.9 || return 1
	JUNK_KEEP="liblist-0.9 nonesuch-1.0" tree junk || return 1
	installed hello-3.1 && installed libbanner-1.0 && installed libgreet-2.0 &&
	installed libfmt-1.2 && installed libhash-1.0 && installed checksum-1.0 &&
	installed libcalc-1.4 && installed wordlist-lib-1.0 && installed tinylib-0.1 &&
	installed liblist-0.9 && ! installed librand-2.1 &&
	[ ! -e "$LB/lib/librand.a" ] && [ ! -e "$LB/include/rand.h" ] &&
	[ -e "$LB/lib/libfmt.a" ] && has "Removing librand-2.1" &&
	[ "$(grep -c '^Removing' "$LOG")" = 1 ] || return 1
	# with nothing kept by name, liblist goes too
	JUNK_KEEP= tree junk && ! installed liblist-0.9 && installed libfmt-1.2
}
check "junk removes only dependency packages nothing keeps" t_junk

t_concurrent() {
	local a b
	: >"$LOG"
	(phases math/primes depends prepare fetch && phase math/primes build &&
		phase math/primes package) >/dev/null 2>&1 &
	a=$!
	(for ph in depends prepare fetch build package; do
		SUBDIR=text/rot13 PHASE=$ph make -C "$T" -s $ph </dev/null >>"$TMP/rot13.log" 2>&1 || exit 1
	done) &
	b=$!
	wait $a && wait $b && [ -f "$PKGS/primes-1.0.tgz" ] && [ -f "$PKGS/rot13-1.0.tgz" ]
}
check "two ports build at the same time" t_concurrent

# ---- the whole tree ----------------------------------------------------
t_whole_tree() {
	local start=$SECONDS
	tree build-all || return 1
	echo "whole tree built in $((SECONDS - start)) s" >>"$LOG"
	[ "$(ls "$PKGS" | wc -l)" -ge 30 ] &&
	phases misc/cowsay-lite install && "$LB/bin/cowsay-lite" moo >"$LOG" &&
	has "| Hello, MOO! (libfmt 1.2) |"
}
check "every port of the tree builds" t_whole_tree

t_build_all_subset() {
	PACKAGE_REPOSITORY=$TMP/pk2 LOCALBASE=$TMP/lb4 SUBDIR=games/guess tree build-all &&
	[ "$(grep '^>>> Building' "$LOG" | sed -n 3p)" = ">>> Building games/guess" ] &&
	[ "$(ls "$TMP/pk2/$(uname -m)/all" | tr '\n' ' ')" = "guess-1.0.tgz libfmt-1.2.tgz librand-2.1.tgz " ]
}
check "build-all of one port builds what it needs first" t_build_all_subset
grep '^whole tree' "$LOG"

t_nothing_written_elsewhere() {
	snapshot >"$TMP/after"
	diff "$TMP/before" "$TMP/after" >"$LOG" && [ -z "$(ls -A "$HOME")" ]
}
check "no job wrote outside WRKOBJDIR, LOCALBASE, PACKAGE_REPOSITORY and DISTDIR" t_nothing_written_elsewhere

t_distfiles_match_sources() {
	# Each shipped archive unpacks to exactly its sources under src/.
	local f base out=$TMP/unpacked
	: >"$LOG"
	for f in "$T"/distfiles-src/*.*; do
		rm -rf "$out" && mkdir -p "$out"
		case $f in
		*.zip) base=$(basename "$f" .zip); unzip -q "$f" -d "$out" ;;
		*) base=$(basename "$f"); base=${base%.tar.*}; tar -xf "$f" -C "$out" ;;
		esac || return 1
		diff -r "$out/$base" "$T/distfiles-src/src/$base" >>"$LOG" || return 1
	done
	[ "$(ls "$T"/distfiles-src/src | wc -l)" = "$(ls "$T"/distfiles-src/*.* | wc -l)" ]
}
check "every shipped distfile unpacks to its sources" t_distfiles_match_sources

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
