# The port framework.  A port's Makefile sets its variables, then includes
# this file as its last line.  README.md documents every variable.

include $(dir $(lastword $(MAKEFILE_LIST)))config.mk

SHELL := /bin/sh
.SUFFIXES:
.DEFAULT_GOAL := build
empty :=
space := $(empty) $(empty)
comma := ,

# ---- identity ------------------------------------------------------------
PKGPATH := $(patsubst $(PORTSDIR)/%,%,$(CURDIR))
ifeq ($(PKGPATH),$(CURDIR))
$(error $(CURDIR) is not inside $(PORTSDIR))
endif
ifndef DISTNAME
$(error $(PKGPATH): DISTNAME is not set)
endif
PKGNAME ?= $(DISTNAME)
PKGVERSION := $(lastword $(subst -, ,$(PKGNAME)))
PKGSTEM := $(patsubst %-$(PKGVERSION),%,$(PKGNAME))
ifeq ($(PKGSTEM),$(PKGNAME))
$(error $(PKGPATH): PKGNAME $(PKGNAME) has no -VERSION part)
endif

# FLAVOR and SUBPACKAGE normally come from the command line (the dispatcher
# splits the fullpkgpath); both may be empty.
FLAVORS ?=
FLAVOR ?=
override FLAVOR := $(sort $(FLAVOR))
ifneq ($(filter-out $(FLAVORS),$(FLAVOR)),)
$(error $(PKGPATH): unknown flavor '$(filter-out $(FLAVORS),$(FLAVOR))' (FLAVORS: $(FLAVORS)))
endif
_FLAVOR_EXT := $(subst $(space),,$(addprefix -,$(FLAVOR)))
_FLAVORED_PATH := $(subst $(space),$(comma),$(strip $(PKGPATH) $(FLAVOR)))

MULTI_PACKAGES ?=
_SUBS := $(if $(strip $(MULTI_PACKAGES)),$(strip $(MULTI_PACKAGES)),-main)
BUILD_PACKAGES ?= $(_SUBS)
SUBPACKAGE ?=
_SUB := $(if $(strip $(SUBPACKAGE)),$(strip $(SUBPACKAGE)),$(firstword $(_SUBS)))
ifeq ($(filter $(_SUB),$(_SUBS)),)
$(error $(PKGPATH): unknown subpackage '$(_SUB)' (MULTI_PACKAGES: $(MULTI_PACKAGES)))
endif

# Per-subpackage variables default to the plain ones for the first
# subpackage; other subpackages are named STEM-SUB-VERSION.
FULLPKGNAME ?= $(PKGNAME)$(_FLAVOR_EXT)
_main := $(firstword $(_SUBS))
FULLPKGNAME$(_main) ?= $(FULLPKGNAME)
LIB_DEPENDS$(_main) ?= $(LIB_DEPENDS)
RUN_DEPENDS$(_main) ?= $(RUN_DEPENDS)
COMMENT$(_main) ?= $(COMMENT)
$(foreach s,$(filter-out $(_main),$(_SUBS)),\
	$(eval FULLPKGNAME$s ?= $(PKGSTEM)$s-$(PKGVERSION)$(_FLAVOR_EXT))\
	$(eval COMMENT$s ?= $(COMMENT) ($(patsubst -%,%,$s))))

# The canonical fullpkgpath of each subpackage: the bare (flavored) path for
# a port without MULTI_PACKAGES.
_fullpath = $(if $(strip $(MULTI_PACKAGES)),$(_FLAVORED_PATH)$(comma)$1,$(_FLAVORED_PATH))
_pkgfile = $(PACKAGE_DIR)/$(FULLPKGNAME$1).tgz
_PKGFILES := $(foreach s,$(BUILD_PACKAGES),$(call _pkgfile,$s))

# ---- what to fetch -------------------------------------------------------
EXTRACT_SUFX ?= .tar.gz
DISTFILES ?= $(DISTNAME)$(EXTRACT_SUFX)
EXTRACT_ONLY ?= $(DISTFILES)
DIST_SUBDIR ?=
SITES ?= $(MASTER_SITES)
CHECKSUM_FILE ?= $(CURDIR)/distinfo
FETCH_MANUALLY ?=
_FULLDISTDIR := $(DISTDIR)$(if $(DIST_SUBDIR),/$(DIST_SUBDIR))

# ---- dependencies ----------------------------------------------------------
# A dependency word is [SPEC:]PKGPATH[,FLAVOR...][,-SUB][:TARGET].  The
# port's own directory is never a build dependency of itself.
_ALL_LIB_DEPENDS := $(foreach s,$(BUILD_PACKAGES),$(LIB_DEPENDS$s))
_word_path = $(firstword $(subst $(comma), ,$(lastword $(filter %/%,$(subst :, ,$1)))))
_not_self = $(foreach w,$1,$(if $(filter $(PKGPATH),$(call _word_path,$w)),,$w))
_BUILD_DEPS := $(sort $(call _not_self,$(BUILD_DEPENDS) $(_ALL_LIB_DEPENDS)))
# Words carry < > = : and must reach the shell quoted.
_quote = $(foreach w,$1,'$w')
_QUOTED_BUILD_DEPS := $(call _quote,$(_BUILD_DEPS))

# ---- where things happen -------------------------------------------------
PREFIX ?= $(LOCALBASE)
WRKDIR := $(WRKOBJDIR)/$(subst /,.,$(PKGPATH))$(_FLAVOR_EXT)
WRKSRC ?= $(WRKDIR)/$(DISTNAME)
WRKINST := $(WRKDIR)/fake
CONFIGURE_STYLE ?=
ifeq ($(CONFIGURE_STYLE),cmake)
WRKBUILD ?= $(WRKDIR)/build
else
WRKBUILD ?= $(WRKSRC)
endif
PATCHDIR ?= $(CURDIR)/patches
# Programs of the host that the build needs; prepare checks them.
BUILD_TOOLS ?=
BUILD_TOOLS += cc make $(if $(filter cmake,$(CONFIGURE_STYLE)),cmake) \
	$(if $(filter %.xz,$(EXTRACT_ONLY)),xz) $(if $(filter %.bz2,$(EXTRACT_ONLY)),bzip2) \
	$(if $(filter %.zip,$(EXTRACT_ONLY)),unzip)

_JOBS := $(if $(filter parallel parallel2,$(DPB_PROPERTIES)),$(MAKE_JOBS),1)
CC ?= cc
CFLAGS ?= -O2 -pipe
CPPFLAGS += -I$(LOCALBASE)/include
LDFLAGS += -L$(LOCALBASE)/lib
# The environment of the port's own build: the framework's make flags must
# not reach the source's Makefiles.
_SRC_ENV = unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES SUBDIR PHASE JUNK_KEEP; \
	CC='$(CC)' CFLAGS='$(CFLAGS)' CPPFLAGS='$(CPPFLAGS)' LDFLAGS='$(LDFLAGS)' \
	PREFIX='$(PREFIX)' LOCALBASE='$(LOCALBASE)' MAKE_JOBS='$(_JOBS)' \
	PATH='$(LOCALBASE)/bin:$(PATH)'; export CC CFLAGS CPPFLAGS LDFLAGS \
	PREFIX LOCALBASE MAKE_JOBS PATH;
MAKE_PROGRAM ?= make
MAKE_FLAGS ?=
ALL_TARGET ?= all
INSTALL_TARGET ?= install
CONFIGURE_ARGS ?=
CONFIGURE_SCRIPT ?= ./configure

_C := $(WRKDIR)/.cookie
_EXTRACT_COOKIE := $(_C)-extract
_PATCH_COOKIE := $(_C)-patch
_CONFIGURE_COOKIE := $(_C)-configure
_BUILD_COOKIE := $(_C)-build
_FAKE_COOKIE := $(_C)-fake

_BIN = sh $(PORTSBIN)

.PHONY: depends prepare fetch checksum extract patch configure build fake \
	package install clean makesum show _dump-vars _dep-info _ignored

# ---- the listing ----------------------------------------------------------
# Printed with $(info): no shell runs for a port without extra flavors.
_DUMPED := FULLPKGNAME COMMENT BUILD_DEPENDS LIB_DEPENDS RUN_DEPENDS \
	TEST_DEPENDS DPB_PROPERTIES IGNORE FLAVORS FLAVOR SUBPACKAGE \
	MULTI_PACKAGES BUILD_PACKAGES DISTFILES DIST_SUBDIR SITES CHECKSUM_FILE \
	FETCH_MANUALLY MISSING_FILES
# _dv.VAR, when defined, says what VAR is for subpackage $1.
_multi := $(strip $(MULTI_PACKAGES))
_dv.FULLPKGNAME = $(FULLPKGNAME$1)
_dv.LIB_DEPENDS = $(LIB_DEPENDS$1)
_dv.RUN_DEPENDS = $(RUN_DEPENDS$1)
_dv.COMMENT = $(COMMENT$1)
_dv.SUBPACKAGE = $(if $(_multi),$1)
_dv.BUILD_PACKAGES = $(if $(_multi),$(BUILD_PACKAGES))
_dv.CHECKSUM_FILE = $(if $(strip $(DISTFILES)),$(CHECKSUM_FILE))
_dumpval = $(strip $(if $(filter undefined,$(origin _dv.$1)),$($1),$(call _dv.$1,$2)))
_dumpsub = $(foreach v,$(_DUMPED),$(if $(call _dumpval,$v,$1),\
	$(info $(call _fullpath,$1).$v=$(call _dumpval,$v,$1))))

_dump-vars:
	$(foreach s,$(_SUBS),$(call _dumpsub,$s))
ifneq ($(_DUMP_ALL_FLAVORS),)
ifeq ($(FLAVOR),)
	@for f in $(FLAVORS); do \
	  echo "===> $(PKGPATH),$$f"; \
	  $(MAKE) --no-print-directory -s _dump-vars FLAVOR=$$f SUBPACKAGE= \
	    _DUMP_ALL_FLAVORS= 2>&1 || echo "===> Exiting $(PKGPATH),$$f with an error"; \
	done
endif
endif
	@:

# FULLPATH PKGNAME of the subpackage asked for: used to resolve dependencies.
_dep-info:
	$(info $(call _fullpath,$(_SUB)) $(FULLPKGNAME$(_SUB)))
	@:

show:
	$(foreach v,$(VARS),$(info $($v)))
	@:

# ---- phases ----------------------------------------------------------------
ifneq ($(strip $(IGNORE)),)
depends prepare fetch checksum extract patch configure build fake package install: _ignored
_ignored:
	@echo "===> $(FULLPKGNAME) is ignored: $(IGNORE)" >&2; exit 1
else

depends:
	@$(_BIN)/pkg depends $(_QUOTED_BUILD_DEPS)

prepare:
	@for t in $(BUILD_TOOLS); do command -v $$t >/dev/null || \
	  { echo ">> $(FULLPKGNAME) needs $$t, which is not installed" >&2; exit 1; }; done
	@$(_BIN)/pkg prepare $(_QUOTED_BUILD_DEPS)

_DIST_ENV = _DISTFILES='$(DISTFILES)' _SITES='$(SITES)' \
	_FULLDISTDIR='$(_FULLDISTDIR)' _DIST_SUBDIR='$(DIST_SUBDIR)' \
	_CHECKSUM_FILE='$(CHECKSUM_FILE)' _FETCH_MANUALLY='$(FETCH_MANUALLY)'

fetch:
	@$(_DIST_ENV) $(_BIN)/distfiles fetch

checksum:
	@$(_DIST_ENV) $(_BIN)/distfiles checksum

extract: $(_EXTRACT_COOKIE)
patch: $(_PATCH_COOKIE)
configure: $(_CONFIGURE_COOKIE)
build: $(_BUILD_COOKIE)
fake: $(_FAKE_COOKIE)

# Each stage makes the ones before it when they were skipped, which is what
# lets bulkbuild leave out patch, configure and fake for small ports.
$(_EXTRACT_COOKIE):
	@$(_DIST_ENV) $(_BIN)/distfiles checksum
	@rm -rf '$(WRKDIR)' && mkdir -p '$(WRKDIR)'
	@echo "===> Extracting for $(FULLPKGNAME)"
	@$(_DIST_ENV) $(_BIN)/distfiles extract '$(WRKDIR)' $(EXTRACT_ONLY)
	@mkdir -p '$(WRKSRC)'
	@touch $@

$(_PATCH_COOKIE): $(_EXTRACT_COOKIE)
	@echo "===> Patching for $(FULLPKGNAME)"
	@if [ -d '$(PATCHDIR)' ]; then \
	  for p in $$(ls '$(PATCHDIR)' | LC_ALL=C sort); do \
	    case $$p in *.orig|*.rej|*~) continue;; esac; \
	    echo "===>   Applying $$p"; \
	    patch -s -p0 -E -d '$(WRKSRC)' <'$(PATCHDIR)'/$$p || exit 1; \
	  done; \
	fi
	@touch $@

$(_CONFIGURE_COOKIE): $(_PATCH_COOKIE)
	@echo "===> Configuring for $(FULLPKGNAME)"
ifeq ($(CONFIGURE_STYLE),gnu)
	@$(_SRC_ENV) cd '$(WRKSRC)' && $(CONFIGURE_SCRIPT) --prefix='$(PREFIX)' $(CONFIGURE_ARGS)
else ifeq ($(CONFIGURE_STYLE),cmake)
	@$(_SRC_ENV) cmake -S '$(WRKSRC)' -B '$(WRKBUILD)' -G 'Unix Makefiles' \
	  -DCMAKE_INSTALL_PREFIX='$(PREFIX)' -DCMAKE_PREFIX_PATH='$(LOCALBASE)' \
	  -DCMAKE_BUILD_TYPE=Release -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON \
	  $(CONFIGURE_ARGS)
else ifneq ($(CONFIGURE_STYLE),)
	@echo "unknown CONFIGURE_STYLE $(CONFIGURE_STYLE)" >&2; exit 1
endif
	@touch $@

$(_BUILD_COOKIE): $(_CONFIGURE_COOKIE)
	@echo "===> Building for $(FULLPKGNAME) with $(_JOBS) job(s)"
ifeq ($(CONFIGURE_STYLE),cmake)
	@$(_SRC_ENV) cmake --build '$(WRKBUILD)' --parallel $(_JOBS)
else
	@$(_SRC_ENV) cd '$(WRKBUILD)' && $(MAKE_PROGRAM) -j$(_JOBS) $(MAKE_FLAGS) $(ALL_TARGET)
endif
	@touch $@

$(_FAKE_COOKIE): $(_BUILD_COOKIE)
	@echo "===> Faking installation for $(FULLPKGNAME)"
	@rm -rf '$(WRKINST)' && mkdir -p '$(WRKINST)$(PREFIX)'
ifeq ($(CONFIGURE_STYLE),cmake)
	@$(_SRC_ENV) DESTDIR='$(WRKINST)' cmake --install '$(WRKBUILD)'
else
	@$(_SRC_ENV) cd '$(WRKBUILD)' && $(MAKE_PROGRAM) $(MAKE_FLAGS) DESTDIR='$(WRKINST)' $(INSTALL_TARGET)
endif
	@touch $@

# The package files: one per subpackage in BUILD_PACKAGES, all from one fake
# tree.  Files matching the patterns of FILES-SUB go to subpackage SUB; the
# first subpackage gets every file that no FILES-SUB claims.
_CLAIMED := $(foreach s,$(filter-out $(_main),$(_SUBS)),$(FILES$s))
_pkgargs = --name '$(FULLPKGNAME$1)' --fullpkgpath '$(call _fullpath,$1)' \
	--version '$(PKGVERSION)' --comment '$(COMMENT$1)' --work '$(WRKDIR)' --out '$(call _pkgfile,$1)' \
	--stage '$(WRKINST)$(PREFIX)' \
	$(if $(filter $(_main),$1),--exclude '$(_CLAIMED)',--include '$(FILES$1)') \
	-- $(call _quote,$(LIB_DEPENDS$1) $(RUN_DEPENDS$1))

ifeq ($(filter-out $(wildcard $(_PKGFILES)),$(_PKGFILES)),)
package:
	@echo "===> $(notdir $(_PKGFILES)): already built"
else
package: $(_FAKE_COOKIE)
	@$(foreach s,$(BUILD_PACKAGES),echo "===> Creating package $(FULLPKGNAME$s)" && \
	  $(_BIN)/pkg create $(call _pkgargs,$s) &&) :
endif

# Install this port's package on this host by hand (not automatic).
install: package
	@$(_BIN)/pkg add $(call _pkgfile,$(_SUB))

endif  # IGNORE

clean:
	@rm -rf '$(WRKDIR)'

# Rewrite distinfo from the distfiles now in DISTDIR.
makesum:
	@$(_DIST_ENV) $(_BIN)/distfiles makesum
