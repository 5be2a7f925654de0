# Sourced by run-tests.sh and bench-package.sh: copies the repository's
# ports/ into a scratch directory and adds the framework's own test ports
# (fixtures/test/*), whose sources (fixtures/src/NAME-VERSION/) are packed
# into the copy's DISTDIR and checksummed with makesum.

# copy_tree ROOT DEST: DEST/ports becomes a clean copy of ROOT/ports.
copy_tree() {
	(cd "$1" && tar -cf - --exclude=./ports/.work --exclude=./ports/packages \
		--exclude=./ports/distfiles --exclude=./ports/logs --exclude=./ports/mk.conf \
		./ports) | tar -xf - -C "$2"
}

# add_fixtures FIXTURES TREE: the fixture ports become TREE/test/*.
add_fixtures() {
	local fx=$1 t=$2 src name
	mkdir -p "$t/test" "$t/distfiles" || return 1
	cp -R "$fx"/test/* "$t/test/" || return 1
	for src in "$fx"/src/*; do
		name=${src##*/}
		tar -czf "$t/distfiles/$name.tar.gz" -C "$fx/src" "$name" || return 1
	done
	for port in "$t"/test/*; do
		[ -f "$port/distinfo" ] && continue
		grep -q '^DISTFILES[[:space:]]*=[[:space:]]*$' "$port/Makefile" && continue
		SUBDIR=test/${port##*/} make -C "$t" -s makesum </dev/null >/dev/null || return 1
	done
}
