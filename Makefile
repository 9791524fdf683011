# Build and check alpenhorn. `make test` is the project's test command.

GO ?= go
GOFMT ?= gofmt
BIN ?= bin

# A test binary still running after this is stuck, not slow: the whole suite
# finishes in a few minutes.
TEST_TIMEOUT ?= 10m

.PHONY: build test test-short vet fmt-check

# Static binaries, so they run on any Linux host of the archive.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/alpenhorn ./cmd/alpenhornd

# Two test commands:
#
#   make test        the whole suite, and the gate CI runs: SQLite and a real
#                    MariaDB server, real alpenhornd daemons (built once per
#                    test binary, with the race detector), real sshd and
#                    rsync, the multi-host demo when run as root, the large
#                    fixtures. A few minutes on 2 cores.
#   make test-short  the edit-test loop, under a minute on 2 cores: go test
#                    -short, which skips the slow tests (real daemons, sshd,
#                    the multi-host demo, large fixtures), each saying why
#                    and that `make test` runs it. It is no substitute for
#                    `make test` before a commit.
#
# go test hides the output of passing packages, and with it the harness's
# notice that MariaDB tests were skipped; say it here too.
test: test-packages mariadb-notice
	$(GO) test -timeout $(TEST_TIMEOUT) ./...

test-short: test-packages mariadb-notice
	$(GO) test -short -timeout $(TEST_TIMEOUT) ./...

# On a fresh Debian/Ubuntu machine: as root, install the system packages
# the tests use; otherwise say which are missing (those tests skip, loudly).
.PHONY: test-packages
test-packages:
	@sh scripts/ensure-packages.sh test

.PHONY: mariadb-notice
mariadb-notice:
	@if [ "$${ALPENHORN_TEST_MARIADBD:-}" = none ] || \
	   ! (PATH="$$PATH:/usr/sbin:/usr/local/sbin"; command -v mariadbd || command -v mysqld) >/dev/null 2>&1; then \
		echo '*** MariaDB tests SKIPPED: no mariadbd installed (apt-get install mariadb-server) ***' >&2; \
	fi

vet:
	$(GO) vet ./...

fmt-check:
	@out="$$($(GOFMT) -l .)"; \
	if [ -n "$$out" ]; then echo "Files not formatted with gofmt:" >&2; echo "$$out" >&2; exit 1; fi

# ---------------------------------------------------------------------------
# Targets of other areas (demo, bench, reliability) go below this line.
# ---------------------------------------------------------------------------

# The seed's demo, start to finish, on this machine: an SQLite data index,
# three daemons (alpenhost1..3) pulling from each other through a private
# sshd, every step checked. Everything it starts is stopped when it ends.
# The daemons run a pass every 5 s (DEMO_FLAGS=-update-interval=10 for the
# seed's pace, about six minutes in all); DEMO_FLAGS=-keep keeps its files.
DEMO_FLAGS ?=
.PHONY: demo
demo: build
	@sh scripts/ensure-packages.sh demo
	$(GO) run ./demo/rundemo -bin $(BIN) $(DEMO_FLAGS)

# The demo across network namespaces (alpendb with MariaDB, alpenshell,
# alpenhost1..3 with sshd and alpenhornd). It is part of `make test` too,
# where it skips unless run as root; this runs it alone, verbosely.
.PHONY: multihost
multihost:
	$(GO) test -count=1 -v -timeout $(TEST_TIMEOUT) ./demo/multihost

# Benchmarks: the real alpenhornd and alpenhorn on SQLite and on a MariaDB
# server the harness starts (bench/RESULTS.md has the figures and how to
# read them). About 7 minutes on 2 cores; needs about 15 GiB free in
# TMPDIR and 5 GiB in /dev/shm. BENCH picks scenarios (a regular
# expression over the benchmark names), BENCH_ARGS sets their sizes, e.g.
#   make bench BENCH=ImportSmall BENCH_ARGS='-small=10000 -workers=2'
# The table of figures is written to BENCH_RESULTS and printed at the end.
BENCH ?= .
BENCH_ARGS ?=
BENCH_RESULTS ?= $(BIN)/bench-results.md
.PHONY: bench
bench:
	@mkdir -p $(dir $(BENCH_RESULTS))
	ALPENHORN_BENCH_RESULTS=$(abspath $(BENCH_RESULTS)) ALPENHORN_TEST_REQUIRE_MARIADB=1 \
		$(GO) test -run='^$$' -bench='$(BENCH)' -timeout 45m ./bench/ -args $(BENCH_ARGS)
	@echo; cat $(BENCH_RESULTS)

# The reliability and security suite (internal/reliability; figures in
# docs/reliability.md): real daemons killed with SIGKILL mid-work, MariaDB
# stopped under load, two daemons on one node, concurrent sync/clean/
# verify requests, hostile paths and names over real ssh. It takes about
# 5 minutes on 2 cores, so `make test` skips it. MariaDB, rsync and sshd
# must be installed: a missing one fails the suite instead of skipping.
# The daemon is built with the race detector (RELIABILITY_RACE=0: without).
# RELIABILITY picks scenarios (a regular expression over test names);
# ALPENHORN_RELIABILITY_SEED=N replays a run's random choices (each run
# logs its seed).
RELIABILITY ?= .
RELIABILITY_RACE ?= 1
.PHONY: reliability
reliability:
	ALPENHORN_RELIABILITY=1 ALPENHORN_RELIABILITY_RACE=$(RELIABILITY_RACE) ALPENHORN_TEST_REQUIRE_MARIADB=1 \
		$(GO) test -count=1 -v -run='$(RELIABILITY)' -timeout 15m ./internal/reliability/

# ---------------------------------------------------------------------------
# Installation and packaging (docs/operations.md). The binaries carry the
# commit they were built from (alpenhorn --version).
# ---------------------------------------------------------------------------

PREFIX ?= /usr/local
DESTDIR ?=
COMMIT ?= $(shell git describe --always --dirty --abbrev=12 --match=no-tags 2>/dev/null)
RELEASE_LDFLAGS = -X github.com/radiocosmology/alpenhorn-go/internal/version.Commit=$(COMMIT)
DOCS_DIR = $(BIN)/docs

# The binaries stamped with the commit, for installing and packaging.
.PHONY: release-build
release-build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(RELEASE_LDFLAGS)' -o $(BIN)/ ./cmd/alpenhorn ./cmd/alpenhornd

# Man pages, shell completion files and the example config, all generated
# from the programs' own help; the example config is also kept in deploy/.
.PHONY: docs
docs:
	$(GO) run ./packaging/gendocs -out $(DOCS_DIR)
	cp $(DOCS_DIR)/alpenhorn.conf.example deploy/alpenhorn.conf.example

# make install [PREFIX=/usr/local] [DESTDIR=staging]: the binaries, man
# pages, completions, example config and documentation, and the systemd
# unit (running $(PREFIX)/bin/alpenhornd). It creates no user and starts
# nothing: see docs/operations.md.
.PHONY: install
install: release-build docs
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/vendor-completions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d \
		$(DESTDIR)$(PREFIX)/share/doc/alpenhorn \
		$(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/lib/sysusers.d
	install -m 755 $(BIN)/alpenhorn $(BIN)/alpenhornd $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(DOCS_DIR)/man/man1/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(DOCS_DIR)/completion/alpenhorn.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/alpenhorn
	install -m 644 $(DOCS_DIR)/completion/_alpenhorn $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_alpenhorn
	install -m 644 $(DOCS_DIR)/completion/alpenhorn.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/alpenhorn.fish
	install -m 644 deploy/alpenhorn.conf.example README.md docs/operations.md docs/differences.md \
		docs/sneakernet.md $(DESTDIR)$(PREFIX)/share/doc/alpenhorn/
	sed 's|^ExecStart=/usr/bin/alpenhornd|ExecStart=$(PREFIX)/bin/alpenhornd|' packaging/alpenhornd.service \
		>$(DESTDIR)$(PREFIX)/lib/systemd/system/alpenhornd.service
	chmod 644 $(DESTDIR)$(PREFIX)/lib/systemd/system/alpenhornd.service
	install -m 644 packaging/sysusers.conf $(DESTDIR)$(PREFIX)/lib/sysusers.d/alpenhorn.conf

# The Debian package, into $(BIN): make install into a staging tree with
# PREFIX=/usr, then dpkg-deb (packaging/build-deb.sh).
.PHONY: deb
deb:
	rm -rf $(BIN)/deb-root
	$(MAKE) install PREFIX=/usr DESTDIR=$(abspath $(BIN))/deb-root
	sh packaging/build-deb.sh $(BIN)/deb-root $(BIN) $(COMMIT)
