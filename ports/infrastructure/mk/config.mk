# Settings shared by the tree dispatcher (tree.mk) and every port (port.mk).
#
# Precedence for each setting: the make command line, then an assignment in
# PORTSDIR/mk.conf or PORTSDIR/mk.conf.HOST (HOST: this machine's short
# name; for hosts of a cluster that share the tree), then the environment,
# then the default below.  An assignment with ?= in those files gives way to
# the environment.  Nothing needs root: by default everything lives under
# PORTSDIR/.work.

ifndef _CONFIG_MK_INCLUDED
_CONFIG_MK_INCLUDED := 1

PORTSDIR := $(realpath $(dir $(lastword $(MAKEFILE_LIST)))../..)
PORTSBIN := $(PORTSDIR)/infrastructure/bin

# One uname for the whole run: sub-makes inherit the exported results.
ifndef _PORTS_UNAME
_PORTS_UNAME := $(shell uname -n -m)
endif
# PORTS_HOST: this machine's short name.  PORTS_HOST_ID tells apart the
# hosts of one bulk build even when they are one machine reached at several
# addresses (network namespaces): a call that came through ssh adds the
# address it reached.
PORTS_HOST ?= $(firstword $(subst ., ,$(firstword $(_PORTS_UNAME))))
PORTS_HOST_ID ?= $(subst :,_,$(PORTS_HOST)$(if $(word 3,$(SSH_CONNECTION)),@$(word 3,$(SSH_CONNECTION))))

-include $(PORTSDIR)/mk.conf
-include $(PORTSDIR)/mk.conf.$(PORTS_HOST)

MACHINE_ARCH ?= $(lastword $(_PORTS_UNAME))
WORKBASE ?= $(PORTSDIR)/.work
PACKAGE_REPOSITORY ?= $(PORTSDIR)/packages
DISTDIR ?= $(PORTSDIR)/distfiles
LOCALBASE ?= $(WORKBASE)/$(PORTS_HOST_ID)/localbase
WRKOBJDIR ?= $(WORKBASE)/obj
PKG_DBDIR ?= $(LOCALBASE)/db/pkg
MAKE_JOBS ?= 1

# Freeze the values as absolute paths so that sub-makes and helper scripts
# all see the same ones, wherever they run from.
override PACKAGE_REPOSITORY := $(abspath $(PACKAGE_REPOSITORY))
override DISTDIR := $(abspath $(DISTDIR))
override LOCALBASE := $(abspath $(LOCALBASE))
override WRKOBJDIR := $(abspath $(WRKOBJDIR))
override PKG_DBDIR := $(abspath $(PKG_DBDIR))
PACKAGE_DIR := $(PACKAGE_REPOSITORY)/$(MACHINE_ARCH)/all

# Where the demo ports find their distfiles: archives shipped in the tree.
DEMO_SITES := file://$(PORTSDIR)/distfiles-src/

export _PORTS_UNAME PORTSDIR PORTSBIN MACHINE_ARCH PACKAGE_REPOSITORY PACKAGE_DIR DISTDIR \
	LOCALBASE WRKOBJDIR PKG_DBDIR

endif
