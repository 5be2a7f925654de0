# bulkbuild's own Makefile: set-up, demo, tests, install.
#   make demo     install what is missing, build, bulk-build the demo tree
#   make check    install what the tests need, build, run every test
#   make install  PREFIX=/usr/local (binary and man page)

PREFIX  ?= /usr/local
SWIFT   ?= swift
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_PORTSDIR := $(CURDIR)/ports
RELEASE_BIN := .build/release/bulkbuild

# Debian packages: building bulkbuild, running the demo tree, and the tests.
BUILD_PACKAGES := libssh-dev libssl-dev libncurses-dev pkg-config
DEMO_PACKAGES  := $(shell cat ports/infrastructure/apt-packages.txt 2>/dev/null)
TEST_PACKAGES  := mandoc openssh-server tmux iproute2 procps chromium curl python3

.PHONY: all build release demo check test unit-tests e2e-tests ports-tests lint-man install deps-build deps-demo deps-test clean

all: build

# Installs the listed Debian packages that are missing (apt-get as root,
# through sudo otherwise).
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "==> installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps-build:
	$(call apt_install,$(BUILD_PACKAGES))
deps-demo: deps-build
	$(call apt_install,$(DEMO_PACKAGES))
deps-test: deps-demo
	$(call apt_install,$(TEST_PACKAGES))

build: deps-build
	$(SWIFT) build

release: deps-build
	$(SWIFT) build -c release

# Bulk-builds the bundled demo tree with one slot per CPU. Packages land in
# ports/packages, logs in ports/logs; a second run builds nothing new.
demo: deps-demo release
	$(RELEASE_BIN) -D PORTSDIR=$(DEMO_PORTSDIR) -j $(JOBS)
	@SUBDIR=misc/hello PHASE=install $(MAKE) -s -C $(DEMO_PORTSDIR) install >/dev/null && \
	LB=$$($(MAKE) -s -C $(DEMO_PORTSDIR) print-data | sed -n 's/^LOCALBASE=//p') && \
	echo "==> $$LB/bin/hello demo (built on libbanner, libgreet and libfmt):" && "$$LB/bin/hello" demo
	@echo "==> packages in $(DEMO_PORTSDIR)/packages, logs in $(DEMO_PORTSDIR)/logs/$$(uname -m)"

check: deps-test
	$(SWIFT) build --build-tests
	$(MAKE) lint-man
	bash Tests/ports/run-tests.sh
	$(SWIFT) test --skip-build

test: check

lint-man:
	mandoc -Tlint -W warning man/bulkbuild.1

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/bin/bulkbuild
	install -m 644 man/bulkbuild.1 $(DESTDIR)$(PREFIX)/share/man/man1/bulkbuild.1

clean:
	rm -rf .build ports/packages ports/logs ports/.work
