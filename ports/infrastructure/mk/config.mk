# Settings shared by the tree dispatcher (tree.mk) and every port (port.mk).
#
# Precedence for each setting: an assignment in PORTSDIR/mk.conf, then the
# environment (or the make command line), then the default below.  Nothing
# here needs root: by default everything lives under PORTSDIR/.work.

ifndef _CONFIG_MK_INCLUDED
_CONFIG_MK_INCLUDED := 1

PORTSDIR := $(realpath $(dir $(lastword $(MAKEFILE_LIST)))../..)
PORTSBIN := $(PORTSDIR)/infrastructure/bin

-include $(PORTSDIR)/mk.conf

ifndef MACHINE_ARCH
MACHINE_ARCH := $(shell uname -m)
endif
WORKBASE ?= $(PORTSDIR)/.work
PACKAGE_REPOSITORY ?= $(PORTSDIR)/packages
DISTDIR ?= $(PORTSDIR)/distfiles
LOCALBASE ?= $(WORKBASE)/localbase
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

export PORTSDIR PORTSBIN MACHINE_ARCH PACKAGE_REPOSITORY PACKAGE_DIR DISTDIR \
	LOCALBASE WRKOBJDIR PKG_DBDIR

endif
