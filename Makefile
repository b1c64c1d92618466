# herken — every target needs nothing but Go (tools are pinned as Go tool
# dependencies: protoc plugins in go.mod, buf in tools/go.mod).
GO       ?= go
BUF      := $(GO) tool -modfile=tools/go.mod buf
ADDR     ?= localhost:50051
DATA_DIR ?= ./data
FUZZTIME ?= 10s

.PHONY: run build test test-short race lint generate fuzz bench-micro clean

## run: build and start herken on $(ADDR) with data in $(DATA_DIR), seeded with demo data on first start
run: build
	./bin/herken serve --addr=$(ADDR) --data-dir=$(DATA_DIR) --demo

build:
	$(GO) build -o bin/herken ./cmd/herken

## test: every test, with the race detector
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

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

clean:
	rm -rf bin
