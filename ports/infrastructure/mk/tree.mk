# The tree-level targets: what bulkbuild calls as `make -C PORTSDIR -s TARGET`.
#
#   print-data   the settings bulkbuild reads, as NAME=value lines
#   dump-vars    the variables of the ports named in $SUBDIR (all if empty)
#   PHASE        run one phase of the port named by $SUBDIR (a fullpkgpath)
#   junk         remove dependency-only packages not named in $JUNK_KEEP

include $(dir $(lastword $(MAKEFILE_LIST)))config.mk

PHASES := depends prepare fetch checksum extract patch configure build fake \
	package install clean makesum
export MAKE

.PHONY: help print-data dump-vars list-ports regen-distfiles build-all installed junk $(PHASES)

help:
	@echo "targets: print-data dump-vars list-ports build-all installed junk $(PHASES)"
	@echo "phases act on the fullpkgpaths in SUBDIR, e.g. SUBDIR=misc/hello"

print-data:
	$(info PORTSDIR=$(PORTSDIR))
	$(info PACKAGE_REPOSITORY=$(PACKAGE_REPOSITORY))
	$(info DISTDIR=$(DISTDIR))
	$(info MACHINE_ARCH=$(MACHINE_ARCH))
	$(info LOCALBASE=$(LOCALBASE))
	$(info WRKOBJDIR=$(WRKOBJDIR))
	$(info PKG_DBDIR=$(PKG_DBDIR))
	@:

dump-vars:
	@exec sh $(PORTSBIN)/dump-vars

list-ports:
	@exec sh $(PORTSBIN)/list-ports

junk:
	@exec sh $(PORTSBIN)/pkg junk

# What is installed in LOCALBASE; "A" marks packages installed as dependencies.
installed:
	@exec sh $(PORTSBIN)/pkg info

$(PHASES):
	@exec sh $(PORTSBIN)/dispatch $@

# Maintainers: repack distfiles-src/src/* and rewrite distinfo files
# (all ports, or the pkgpaths in SUBDIR).
regen-distfiles:
	@exec sh $(PORTSBIN)/gen-distfiles $(SUBDIR)

# Build the ports in SUBDIR (all by default) one by one, without bulkbuild.
build-all:
	@exec sh $(PORTSBIN)/build-all $(SUBDIR)
