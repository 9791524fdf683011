# Build and check alpenhorn. `make test` is the project's test command.

GO ?= go
GOFMT ?= gofmt
BIN ?= bin

# A test binary still running after this is stuck, not slow: the whole suite
# finishes in a few minutes.
TEST_TIMEOUT ?= 10m

.PHONY: build test vet fmt-check

# Static binaries, so they run on any Linux host of the archive.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/alpenhorn ./cmd/alpenhornd

# go test hides the output of passing packages, and with it the harness's
# notice that MariaDB tests were skipped; say it here too.
test:
	@if [ "$${ALPENHORN_TEST_MARIADBD:-}" = none ] || \
	   ! (PATH="$$PATH:/usr/sbin:/usr/local/sbin"; command -v mariadbd || command -v mysqld) >/dev/null 2>&1; then \
		echo '*** MariaDB tests SKIPPED: no mariadbd installed (apt-get install mariadb-server) ***' >&2; \
	fi
	$(GO) test -timeout $(TEST_TIMEOUT) ./...

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
