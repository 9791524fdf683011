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
test: mariadb-notice
	$(GO) test -timeout $(TEST_TIMEOUT) ./...

test-short: mariadb-notice
	$(GO) test -short -timeout $(TEST_TIMEOUT) ./...

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
