# make run    — set up, then replay the first teaching notebook on real MNIST
# make test   — set up, then build and pass the tests (Python interop and Jupyter kernel tests included)
# make check  — set up, then replay every shipped notebook with --check (release build; minutes)
# make bench  — set up, then measure training speed (release build)
# make scale  — set up, then time one MLP epoch on MNIST tiled to 250,000 and 1,000,000 images
# make fuzz   — build the libFuzzer targets and run each for SECONDS (default 60)
#
# "Set up" installs the system libraries when they are missing (as root; otherwise it prints
# the command to run). Data: $CADERNO_DATA, else ../shared/data when it is there, else the
# data store's own search (./data, ~/.cache/caderno) and download.

SWIFT ?= swift
PACKAGES := libedit-dev zlib1g-dev libzmq3-dev pkg-config libxml2
SHARED_DATA := $(abspath ../shared/data)
CADERNO_DATA ?= $(if $(wildcard $(SHARED_DATA)/mnist),$(SHARED_DATA))
export CADERNO_DATA

VENV := .build/venv
PYTHON_PACKAGES := nbformat numpy safetensors jupyter_client nbclient pytest
NOTEBOOKS := $(wildcard notebooks/en/*.nb notebooks/pt/*.nb)

FUZZ_TARGETS := FuzzIDX FuzzSafeTensors FuzzNotebook FuzzCommandLine
SECONDS ?= 60

.PHONY: all deps venv build release test check run bench scale fuzz clean

all: build

deps:
	@if command -v dpkg >/dev/null 2>&1; then \
	  missing=""; \
	  for package in $(PACKAGES); do dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	      echo "installing$$missing"; \
	      apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	    else \
	      echo "missing system packages:$$missing"; \
	      echo "run: sudo apt-get update && sudo apt-get install -y$$missing"; \
	      exit 1; \
	    fi; \
	  fi; \
	fi

# A virtual environment for the tests that meet the real other side (nbformat, …).
venv: $(VENV)/.installed
$(VENV)/.installed: Makefile
	@if ! python3 -m venv $(VENV) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv && python3 -m venv $(VENV); \
	  else echo "python3 cannot make a virtual environment: run sudo apt-get install -y python3-venv"; exit 1; fi; \
	fi
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(PYTHON_PACKAGES)
	@touch $@

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps venv
	$(SWIFT) build --build-tests
	@rm -rf .build/test-tmp && mkdir -p .build/test-tmp
	TMPDIR=$(abspath .build/test-tmp) CADERNO_PYTHON=$(abspath $(VENV))/bin/python $(SWIFT) test
	@# The Jupyter kernel, started and spoken to by jupyter_client and nbclient.
	TMPDIR=$(abspath .build/test-tmp) CADERNO_BINARY=$$($(SWIFT) build --show-bin-path)/caderno \
	  $(VENV)/bin/python -m pytest -q -p no:cacheprovider --basetemp=.build/kernel-tests Tests/Kernel
	@# The tests clean up after themselves (SwiftPM's own TemporaryDirectory.* folders and locks aside).
	@left=$$(ls .build/test-tmp | grep -vE '^TemporaryDirectory\.|\.lock$$' || true); rm -rf .build/test-tmp; \
	  if [ -n "$$left" ]; then echo "the tests left in the temporary folder: $$left"; exit 1; fi

check: release
	@status=0; for notebook in $(NOTEBOOKS); do \
	  $(SWIFT) run -c release caderno run $$notebook --check || status=1; \
	done; exit $$status

run: release
	$(SWIFT) run -c release caderno run notebooks/en/01-mlp-sgd.nb

bench: release
	$(SWIFT) run -c release caderno bench all

# MNIST tiled (scripts/tile_mnist.py writes uncompressed IDX files: 784 MB for a million images)
# into .build/scale; each size is timed in a process of its own, so each peak memory is its own.
SCALE_SIZES := 250000 1000000
scale: release
	@test -n "$(CADERNO_DATA)" || { echo "make scale needs the MNIST files: set CADERNO_DATA"; exit 1; }
	@for n in $(SCALE_SIZES); do \
	  test -f .build/scale/$$n/train-labels-idx1-ubyte || python3 scripts/tile_mnist.py $(CADERNO_DATA)/mnist .build/scale/$$n $$n || exit 1; \
	done
	@for dir in $(CADERNO_DATA)/mnist $(addprefix .build/scale/,$(SCALE_SIZES)); do \
	  .build/release/caderno bench mlp --epochs 1 --data $$dir 2>&1 | grep -E "^loaded|^mlp:|peak memory" || exit 1; \
	done

# Each target starts from its committed seeds (Fuzz/Corpus) and keeps what it finds in
# .build/fuzz/corpus; a crash is written to .build/fuzz/crashes and stops `make fuzz` with status 1.
fuzz: deps
	@for target in $(FUZZ_TARGETS); do \
	  CADERNO_FUZZ=1 $(SWIFT) build --build-path .build/fuzz -Xswiftc -sanitize=fuzzer,address \
	    -Xswiftc -parse-as-library -Xswiftc -use-ld=lld --product $$target || exit 1; \
	done
	@mkdir -p .build/fuzz/crashes
	@for target in $(FUZZ_TARGETS); do \
	  mkdir -p .build/fuzz/corpus/$$target; \
	  echo "== $$target, $(SECONDS) s"; \
	  .build/fuzz/debug/$$target .build/fuzz/corpus/$$target Fuzz/Corpus/$$target -max_total_time=$(SECONDS) \
	    -rss_limit_mb=2048 -timeout=10 -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix=.build/fuzz/crashes/$$target- > .build/fuzz/$$target.log 2>&1; status=$$?; \
	  grep -E "DONE|stat::(number_of_executed|average_exec|new_units|peak_rss)|ERROR|SUMMARY" .build/fuzz/$$target.log; \
	  if [ $$status != 0 ]; then echo "$$target failed: see .build/fuzz/$$target.log and .build/fuzz/crashes"; exit 1; fi; \
	done

clean:
	rm -rf .build
