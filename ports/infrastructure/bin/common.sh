# Helpers shared by the scripts of the framework; sourced, not run.
# PORTSDIR and the other settings come from the environment (config.mk
# exports them).

: "${MAKE:=make}"
set -f    # no globbing of port words anywhere

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# valid_pkgpath PATH: two or more components of letters, digits and . _ + -,
# none empty, none "..", none starting with "-".
valid_pkgpath() {
	case $1 in
	*/*) ;;
	*) return 1 ;;
	esac
	case $1 in
	/*|*/|*//*|-*|*/-*|*[!A-Za-z0-9._+/-]*) return 1 ;;
	..|../*|*/..|*/../*) return 1 ;;
	esac
	return 0
}

# is_port PKGPATH: a valid pkgpath naming a port directory of this tree
# (not a directory of the framework, its products or hidden).
is_port() {
	valid_pkgpath "$1" || return 1
	case $1 in
	infrastructure/*|distfiles-src/*|packages/*|distfiles/*|logs/*|.*|*/.*) return 1 ;;
	esac
	[ -f "$PORTSDIR/$1/Makefile" ]
}

# split_fullpkgpath FULLPKGPATH: sets pkgpath, flavor (space-separated,
# as given) and sub (the subpackage, with its dash, or empty).
split_fullpkgpath() {
	pkgpath=${1%%,*}
	flavor=
	sub=
	case $1 in
	*,*)
		_rest=${1#*,}
		_oldifs=$IFS
		IFS=,
		for _f in $_rest; do
			case $_f in
			'') ;;
			-*) sub=$_f ;;
			*) flavor="${flavor:+$flavor }$_f" ;;
			esac
		done
		IFS=$_oldifs
		;;
	esac
}

# port_make DIR ARGS...: make in a port directory, always stating FLAVOR and
# SUBPACKAGE so that values inherited from a calling make never leak in.
port_make() {
	_dir=$1
	shift
	"$MAKE" --no-print-directory -C "$PORTSDIR/$_dir" "$@"
}

# sha256_b64 FILE: the SHA256 of FILE in base64, as distinfo holds it.
sha256_b64() {
	sha256sum "$1" | cut -c1-64 | tr a-f A-F | basenc --base16 -d | base64
}
