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
# WRKDIST: the top directory of the unpacked distfile; WRKSRC: where the
# source's configure and Makefile are (a subdirectory of WRKDIST, say);
# WRKBUILD: where make runs; WRKINST: the fake root that fake installs to.
WRKDIST ?= $(WRKDIR)/$(DISTNAME)
WRKSRC ?= $(WRKDIST)
WRKINST := $(WRKDIR)/fake
CONFIGURE_STYLE ?=
ifeq ($(CONFIGURE_STYLE),none)
override CONFIGURE_STYLE :=
endif
ifeq ($(CONFIGURE_STYLE),cmake)
WRKBUILD ?= $(WRKDIR)/build
else
WRKBUILD ?= $(WRKSRC)
endif
PATCHDIR ?= $(CURDIR)/patches
# Programs of the host that the build needs; prepare checks them.
BUILD_TOOLS ?=
BUILD_TOOLS += cc make readelf patchelf $(if $(filter cmake,$(CONFIGURE_STYLE)),cmake) \
	$(if $(filter %.xz,$(EXTRACT_ONLY)),xz) $(if $(filter %.bz2,$(EXTRACT_ONLY)),bzip2) \
	$(if $(filter %.zip,$(EXTRACT_ONLY)),unzip)

_JOBS := $(if $(filter parallel parallel2,$(DPB_PROPERTIES)),$(MAKE_JOBS),1)
CC ?= cc
CFLAGS ?= -O2 -pipe
# Search paths come from the port and the framework only: an environment's
# CPPFLAGS or LDFLAGS would let a build see what it did not declare.
ifeq ($(origin CPPFLAGS),environment)
CPPFLAGS :=
endif
ifeq ($(origin LDFLAGS),environment)
LDFLAGS :=
endif
# The port's own flags first, then LOCALBASE, then (implicitly) the system.
# Every object gets a run path into LOCALBASE; fake makes it relative.
_LIBDIRS := $(LOCALBASE)/lib $(filter-out $(LOCALBASE)/lib,$(PREFIX)/lib)
_CPPFLAGS = $(CPPFLAGS) -I$(LOCALBASE)/include
_LDFLAGS = $(LDFLAGS) $(addprefix -L,$(_LIBDIRS)) $(addprefix -Wl$(comma)-rpath$(comma),$(_LIBDIRS)) \
	-Wl,--enable-new-dtags
# RUNPATH: relative ($ORIGIN/../lib, the default: the package works in
# any LOCALBASE), absolute (LOCALBASE/lib), keep (as the build linked it).
RUNPATH ?= relative
# Libraries that may come from the system rather than a dependency: the C
# runtime by default; a port adds what it uses on purpose.
SYSTEM_LIBS ?=
_SYSTEM_LIBS := ld-linux*.so.* libc.so.* libm.so.* libpthread.so.* libdl.so.* librt.so.* \
	libresolv.so.* libutil.so.* libanl.so.* libmvec.so.* libcrypt.so.* libnsl.so.* \
	libgcc_s.so.* libstdc++.so.* libatomic.so.* libgomp.so.* $(SYSTEM_LIBS)
# pkg-config sees LOCALBASE only, never the system's .pc files.
_PKG_CONFIG_LIBDIR := $(LOCALBASE)/lib/pkgconfig:$(LOCALBASE)/share/pkgconfig
# Extra NAME=value words for the environment of configure (CONFIGURE_ENV)
# and of the source's make in build and fake (MAKE_ENV).
CONFIGURE_ENV ?=
MAKE_ENV ?=
# The environment of the port's own build: the framework's make flags and
# search paths of the caller's environment must not reach it.  gcc lists
# the headers each compilation reads in $(_HEADERS) (DEPENDENCIES_OUTPUT),
# for the check of package.
_HEADERS = $(WRKDIR)/.headers
_SRC_ENV = unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES SUBDIR PHASE JUNK_KEEP \
	CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH LIBRARY_PATH LD_LIBRARY_PATH LD_RUN_PATH \
	PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR; \
	CC='$(CC)' CFLAGS='$(CFLAGS)' CPPFLAGS='$(_CPPFLAGS)' LDFLAGS='$(_LDFLAGS)' \
	PREFIX='$(PREFIX)' LOCALBASE='$(LOCALBASE)' MAKE_JOBS='$(_JOBS)' \
	PKG_CONFIG_LIBDIR='$(_PKG_CONFIG_LIBDIR)' DEPENDENCIES_OUTPUT='$(_HEADERS)' \
	PATH='$(LOCALBASE)/bin:$(PATH)'; export CC CFLAGS CPPFLAGS LDFLAGS \
	PREFIX LOCALBASE MAKE_JOBS PKG_CONFIG_LIBDIR DEPENDENCIES_OUTPUT PATH;
MAKE_PROGRAM ?= make
MAKE_FLAGS ?=
# FAKE_FLAGS: how the source's install is pointed at the fake root; a
# Makefile without DESTDIR takes, say, PREFIX='$(WRKINST)$(PREFIX)'.
FAKE_FLAGS ?= DESTDIR='$(WRKINST)'
ALL_TARGET ?= all
INSTALL_TARGET ?= install
# NO_BUILD=yes: nothing to compile (scripts, data); fake still installs.
NO_BUILD ?=
CONFIGURE_ARGS ?=
CONFIGURE_SCRIPT ?= ./configure

# Hooks: a port may set pre-PHASE and post-PHASE, for patch, configure,
# build and fake, and post-extract, to shell commands (one a line with
# define ... endef).  _hook runs one in WRKSRC, in the build's environment,
# stopping at the first command that fails.  The text reaches the shell
# through the environment, so it needs no quoting.
_HOOKED := post-extract $(foreach p,patch configure build fake,pre-$p post-$p)
$(foreach h,$(_HOOKED),$(if $(value $h),$(eval export _HOOK_$(subst -,_,$h) = $$($h))))
_hook = $(if $(value $1),@echo "===>   Running $1 for $(FULLPKGNAME)" && $(_SRC_ENV) \
	cd '$(WRKSRC)' && (set -e; eval "$$_HOOK_$(subst -,_,$1)"))

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
	FETCH_MANUALLY MISSING_FILES WRKDIR
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
	$(call _hook,post-extract)
	@touch $@

$(_PATCH_COOKIE): $(_EXTRACT_COOKIE)
	@echo "===> Patching for $(FULLPKGNAME)"
	$(call _hook,pre-patch)
	@if [ -d '$(PATCHDIR)' ]; then \
	  for p in $$(ls '$(PATCHDIR)' | LC_ALL=C sort); do \
	    case $$p in *.orig|*.rej|*~) continue;; esac; \
	    echo "===>   Applying $$p"; \
	    patch -s -p0 -E -d '$(WRKSRC)' <'$(PATCHDIR)'/$$p || exit 1; \
	  done; \
	fi
	$(call _hook,post-patch)
	@touch $@

$(_CONFIGURE_COOKIE): $(_PATCH_COOKIE)
	@echo "===> Configuring for $(FULLPKGNAME)"
	$(call _hook,pre-configure)
ifeq ($(CONFIGURE_STYLE),gnu)
	@$(_SRC_ENV) cd '$(WRKSRC)' && env $(CONFIGURE_ENV) $(CONFIGURE_SCRIPT) --prefix='$(PREFIX)' $(CONFIGURE_ARGS)
else ifeq ($(CONFIGURE_STYLE),cmake)
	@$(_SRC_ENV) env $(CONFIGURE_ENV) cmake -S '$(WRKSRC)' -B '$(WRKBUILD)' -G 'Unix Makefiles' \
	  -DCMAKE_INSTALL_PREFIX='$(PREFIX)' -DCMAKE_PREFIX_PATH='$(LOCALBASE)' \
	  -DCMAKE_BUILD_TYPE=Release -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON \
	  $(CONFIGURE_ARGS)
else ifneq ($(CONFIGURE_STYLE),)
	@echo "$(PKGPATH): unknown CONFIGURE_STYLE $(CONFIGURE_STYLE) (expected gnu, cmake or none)" >&2; exit 1
endif
	$(call _hook,post-configure)
	@touch $@

$(_BUILD_COOKIE): $(_CONFIGURE_COOKIE)
	$(call _hook,pre-build)
ifeq ($(NO_BUILD),)
	@echo "===> Building for $(FULLPKGNAME) with $(_JOBS) job(s)"
ifeq ($(CONFIGURE_STYLE),cmake)
	@$(_SRC_ENV) env $(MAKE_ENV) cmake --build '$(WRKBUILD)' --parallel $(_JOBS)
else
	@$(_SRC_ENV) cd '$(WRKBUILD)' && env $(MAKE_ENV) $(MAKE_PROGRAM) -j$(_JOBS) $(MAKE_FLAGS) $(ALL_TARGET)
endif
endif
	$(call _hook,post-build)
	@touch $@

# fake installs into WRKINST, then gives every ELF object a run path into
# LOCALBASE (see RUNPATH).
$(_FAKE_COOKIE): $(_BUILD_COOKIE)
	@echo "===> Faking installation for $(FULLPKGNAME)"
	@rm -rf '$(WRKINST)' && mkdir -p '$(WRKINST)$(PREFIX)'
	$(call _hook,pre-fake)
ifeq ($(CONFIGURE_STYLE),cmake)
	@$(_SRC_ENV) DESTDIR='$(WRKINST)' env $(MAKE_ENV) cmake --install '$(WRKBUILD)'
else
	@$(_SRC_ENV) cd '$(WRKBUILD)' && env $(MAKE_ENV) $(MAKE_PROGRAM) $(MAKE_FLAGS) $(FAKE_FLAGS) $(INSTALL_TARGET)
endif
	$(call _hook,post-fake)
	@WRKDIR='$(WRKDIR)' PREFIX='$(PREFIX)' $(_BIN)/elf runpath '$(WRKINST)$(PREFIX)' '$(RUNPATH)'
	@touch $@

# The package files: one per subpackage in BUILD_PACKAGES, all from one fake
# tree.  Files matching the patterns of FILES-SUB go to subpackage SUB; the
# first subpackage gets every file that no FILES-SUB claims.
_CLAIMED := $(foreach s,$(filter-out $(_main),$(_SUBS)),$(FILES$s))
_pkgargs = --name '$(FULLPKGNAME$1)' --fullpkgpath '$(call _fullpath,$1)' \
	--build-depends "$(call _not_self,$(BUILD_DEPENDS))" \
	--version '$(PKGVERSION)' --comment '$(COMMENT$1)' --work '$(WRKDIR)' --out '$(call _pkgfile,$1)' \
	--stage '$(WRKINST)$(PREFIX)' \
	$(if $(filter $(_main),$1),--exclude '$(_CLAIMED)',--include '$(FILES$1)') \
	-- $(call _quote,$(LIB_DEPENDS$1) $(RUN_DEPENDS$1))

ifeq ($(filter-out $(wildcard $(_PKGFILES)),$(_PKGFILES)),)
package:
	@echo "===> $(notdir $(_PKGFILES)): already built"
else
package: $(_FAKE_COOKIE)
	@WRKDIR='$(WRKDIR)' $(_BIN)/pkg headers '$(_HEADERS)' $(_QUOTED_BUILD_DEPS)
	@$(foreach s,$(BUILD_PACKAGES),echo "===> Creating package $(FULLPKGNAME$s)" && \
	  PREFIX='$(PREFIX)' SYSTEM_LIBS='$(_SYSTEM_LIBS)' $(_BIN)/pkg create $(call _pkgargs,$s) &&) :
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
