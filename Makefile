# herken — every target needs nothing but Go (tools are pinned as Go tool
# dependencies: protoc plugins in go.mod, buf in tools/go.mod).
GO       ?= go
BUF      := $(GO) tool -modfile=tools/go.mod buf
ADDR     ?= localhost:50051
DATA_DIR ?= ./data
FUZZTIME ?= 10s
CYCLES   ?= 100

.PHONY: run build test test-short race lint generate fuzz bench-micro crashtest crashtest-short clean

## run: build and start herken on $(ADDR) with data in $(DATA_DIR), seeded with demo data on first start
run: build
	./bin/herken serve --addr=$(ADDR) --data-dir=$(DATA_DIR) --demo

build:
	$(GO) build -o bin/herken ./cmd/herken

## test: every test, with the race detector
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

## crashtest: kill -9 the real server $(CYCLES) times under concurrent writes (test/crash):
## nothing acknowledged may be lost, nothing unacknowledged half-written, herken check clean
crashtest:
	HERKEN_CRASH_CYCLES=$(CYCLES) $(GO) test -count=1 -run '^TestCrash$$' -v -timeout 60m ./test/crash

## crashtest-short: the crash test with 10 cycles (not part of make test; .ci/run runs it)
crashtest-short:
	$(MAKE) crashtest CYCLES=10

## generate: regenerate *.pb.go from proto/
generate:
	$(BUF) generate

## lint: buf lint, gofmt, go vet, and a check that generated code is up to date
lint:
	$(BUF) lint
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(BUF) generate
	@git diff --exit-code -- '*.pb.go' || { echo "generated code is stale: run make generate and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- '*.pb.go')" || { echo "untracked generated files:"; git status --porcelain -- '*.pb.go'; exit 1; }

## fuzz: run every fuzz target for $(FUZZTIME)
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test $$pkg -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) || exit 1; \
	  done; \
	done

## bench-micro: in-process micro-benchmarks with allocation counts
bench-micro:
	$(GO) test -run='^$$' -bench=. -benchmem ./identity/... ./server/...

## bench: load benchmark of the real server (BENCHMARKS.md): $(BENCH_CUSTOMERS) synthetic customers,
## bulk load, herken serve on loopback, closed and open loop; results in bench-results/
BENCH_CUSTOMERS ?= 1000000
BENCH_FLAGS     ?=
.PHONY: bench bench-quick
bench: build
	$(GO) run ./cmd/herken-bench -herken bin/herken -customers $(BENCH_CUSTOMERS) $(BENCH_FLAGS)

## bench-quick: the same with 100,000 customers
bench-quick: build
	$(GO) run ./cmd/herken-bench -herken bin/herken -customers 100000 $(BENCH_FLAGS)

clean:
	rm -rf bin
