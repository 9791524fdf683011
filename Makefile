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
