# kpi_exporter: the two commands a newcomer needs are `make run` and `make test`.

GO          ?= go
BINARY      := kpi_exporter
PKG         := github.com/kpi-exporter/kpi_exporter
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION    ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH      ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
LDFLAGS     := -s -w \
	-X github.com/prometheus/common/version.Version=$(VERSION) \
	-X github.com/prometheus/common/version.Revision=$(REVISION) \
	-X github.com/prometheus/common/version.Branch=$(BRANCH)
# Debian packages the tests run for real: database servers and their clients,
# Prometheus (promtool), Alertmanager (amtool) and the peer the bench smoke
# test compares against (prometheus-sql-exporter).
TEST_PACKAGES := mariadb-server mariadb-client postgresql postgresql-client prometheus prometheus-alertmanager prometheus-sql-exporter chromium
TEST_TIMEOUT  ?= 45m

.PHONY: all build run test test-deps lint fmt vet

all: build

## build: a static binary (CGO_ENABLED=0: the SQLite driver is pure Go)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BINARY) ./cmd/kpi_exporter

## run: build, then serve config.example.yaml (the built-in SQLite demo) on
## :$(PORT); another port with make run PORT=9787
PORT ?= 9786
run: build
	./$(BINARY) --config.file=config.example.yaml --web.listen-address=:$(PORT)

## test-deps: install the Debian packages the tests need, when missing
test-deps:
	@missing=""; \
	for p in $(TEST_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## test: install what the tests need, then run every test with the race detector
test: test-deps vet
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

## lint: formatting and vet
lint: vet
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

## fuzz: run each fuzz target for FUZZTIME (the seed corpus alone runs in make test)
FUZZTIME ?= 1m
FUZZ_TARGETS := ./catalog:FuzzParse ./collector:FuzzConvert ./collector:FuzzConvertRows
.PHONY: fuzz
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

## bench: compare kpi_exporter with Debian's prometheus-sql-exporter on a
## private MariaDB and print one table (bench/README.md). Pass flags with
## BENCH_FLAGS, e.g. make bench BENCH_FLAGS="-sizes 1k,100k -load.duration 1m".
BENCH_FLAGS ?=
bench: bench-deps build
	$(GO) run ./bench/cmd/kpibench -exporter ./$(BINARY) $(BENCH_FLAGS)

## bench-deps: make test's Debian packages, which include the peer (prometheus-sql-exporter)
bench-deps:
	@$(MAKE) --no-print-directory test-deps

## bench-smoke: the smallest bench run, as CI runs it inside make test
bench-smoke: bench-deps
	$(GO) test -race -count=1 -run TestBenchSmoke -v ./bench/

.PHONY: bench bench-deps bench-smoke

## soak: run the exporter against a real MariaDB for SOAK_DURATION with scrapes
## and reloads, recording RSS and goroutines to $(SOAK_OUT)/soak.csv and a
## summary (not part of make test or CI)
SOAK_DURATION ?= 30m
SOAK_SAMPLE   ?= 15s
SOAK_OUT      ?= $(or $(TMPDIR),/tmp)/kpi_exporter_soak
.PHONY: soak
soak: test-deps
	SOAK_DURATION=$(SOAK_DURATION) SOAK_SAMPLE=$(SOAK_SAMPLE) SOAK_OUT=$(SOAK_OUT) \
		$(GO) test -tags soak -run '^TestSoak$$' -count=1 -v -timeout 0 ./reliability/
