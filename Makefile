# yoloport — build, test, fuzz and install.
#   make            build build/yoloport (release)
#   make run        install what is missing, build, open the workbench on the default model
#   make test       install what is missing, build with ASan/UBSan (and TSan for threads), run every test
#   make fuzz       run the libFuzzer harnesses (FUZZ_SECONDS each)
#   make bench      run the benchmarks in bench/
#   make install PREFIX=/usr/local
# Every .c file in engine/*/, formats/, widgets/ and tui/ is part of the program; tests are
# tests/unit/test_*.c (one program each), tests/e2e/*.sh, fuzz harnesses tests/fuzz/fuzz_*.c.

.DEFAULT_GOAL := all
PREFIX   ?= /usr/local
CC       ?= cc
PKGS     := ncursesw json-c libprotobuf-c libzip yaml-0.1 libpng libxml-2.0 zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lreadline -ljpeg -lpthread -lm

ONNX_PROTO := /usr/include/onnx/onnx.proto
GEN        := build/gen
GEN_SRC    := $(GEN)/onnx/onnx.pb-c.c
GEN_HDR    := $(GEN)/onnx/onnx.pb-c.h
# TensorFlow's messages (GraphDef, SavedModel), .proto files of our own with TensorFlow's field numbers
TF_PROTOS  := $(wildcard formats/proto/tensorflow/*.proto)
TF_GEN_SRC := $(patsubst formats/proto/%.proto,$(GEN)/%.pb-c.c,$(TF_PROTOS))
TF_GEN_HDR := $(TF_GEN_SRC:.c=.h)

CPPFLAGS += -I. -I$(GEN) $(PKG_CFLAGS) -DYOLOPORT_VERSION='"$(VERSION)"' -DYOLOPORT_SHARE='"$(SHARE_DIR)"'
WARN     := -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation -D_GNU_SOURCE
VERSION  := 0.1.0
SHARE_DIR ?= $(CURDIR)/share

LIB_SRC  := $(wildcard engine/*/*.c formats/*.c widgets/*.c) $(filter-out tui/main.c,$(wildcard tui/*.c))
MAIN_SRC := tui/main.c
TEST_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
# tests whose threads ThreadSanitizer checks (they also run under ASan)
TSAN_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_jobs*.c)) test_exec_threads test_exec_f16 test_exec_kernels

# flavour: rel | asan | tsan | fuzz
define flavour
$(1)_OBJ := $$(patsubst %.c,build/$(1)/%.o,$$(LIB_SRC)) build/$(1)/gen/onnx.pb-c.o \
            $$(patsubst $(GEN)/%.c,build/$(1)/gen/%.o,$$(TF_GEN_SRC))
build/$(1)/%.o: %.c $$(GEN_HDR) $$(TF_GEN_HDR)
	@mkdir -p $$(dir $$@)
	$$($(1)_CC) $$(CPPFLAGS) $$(WARN) $$($(1)_CFLAGS) -MMD -MP -c $$< -o $$@
build/$(1)/gen/onnx.pb-c.o: $$(GEN_SRC)
	@mkdir -p $$(dir $$@)
	$$($(1)_CC) $$(CPPFLAGS) -std=c11 -w $$($(1)_CFLAGS) -c $$< -o $$@
build/$(1)/gen/tensorflow/%.o: $(GEN)/tensorflow/%.c $$(TF_GEN_HDR)
	@mkdir -p $$(dir $$@)
	$$($(1)_CC) $$(CPPFLAGS) -std=c11 -w $$($(1)_CFLAGS) -c $$< -o $$@
build/$(1)/libyoloport.a: $$($(1)_OBJ)
	@rm -f $$@
	ar rcs $$@ $$^
-include $$($(1)_OBJ:.o=.d)
endef

rel_CC      := $(CC)
rel_CFLAGS  := -O2 -g
asan_CC     := $(CC)
asan_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
tsan_CC     := $(CC)
tsan_CFLAGS := -O1 -g -fsanitize=thread
fuzz_CC     := clang
fuzz_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -Wno-unknown-warning-option

$(eval $(call flavour,rel))
$(eval $(call flavour,asan))
$(eval $(call flavour,tsan))
$(eval $(call flavour,fuzz))

.PHONY: all run test deps deps-build fuzz bench install clean unit-tests
all: build/yoloport

$(GEN_SRC) $(GEN_HDR): $(ONNX_PROTO)
	@mkdir -p $(GEN)
	protoc-c --proto_path=/usr/include --c_out=$(GEN) onnx/onnx.proto

$(TF_GEN_SRC) $(TF_GEN_HDR) &: $(TF_PROTOS)
	@mkdir -p $(GEN)
	protoc-c --proto_path=formats/proto --c_out=$(GEN) $(TF_PROTOS)

build/yoloport: build/rel/libyoloport.a build/rel/tui/main.o
	$(CC) $(rel_CFLAGS) build/rel/tui/main.o build/rel/libyoloport.a $(PKG_LIBS) -o $@

build/asan/yoloport: build/asan/libyoloport.a build/asan/tui/main.o
	$(CC) $(asan_CFLAGS) build/asan/tui/main.o build/asan/libyoloport.a $(PKG_LIBS) -o $@

build/asan/tests/%: tests/unit/%.c tests/check.h tests/export_fixture.h build/asan/libyoloport.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(asan_CFLAGS) $< build/asan/libyoloport.a $(PKG_LIBS) -o $@

build/tsan/tests/%: tests/unit/%.c tests/check.h tests/export_fixture.h build/tsan/libyoloport.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(tsan_CFLAGS) $< build/tsan/libyoloport.a $(PKG_LIBS) -o $@

build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_budget.h build/fuzz/libyoloport.a
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(WARN) -Wno-unknown-warning-option -O1 -g -fsanitize=fuzzer,address,undefined $< build/fuzz/libyoloport.a $(PKG_LIBS) -o $@

deps:
	@sh scripts/deps.sh

deps-build:
	@sh scripts/deps.sh --build-only

run: deps-build
	@$(MAKE) --no-print-directory build/yoloport
	./build/yoloport

UNIT_BINS := $(patsubst tests/unit/%.c,build/asan/tests/%,$(TEST_SRC))
TSAN_BINS := $(patsubst %,build/tsan/tests/%,$(TSAN_TESTS))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))

unit-tests: build/yoloport build/asan/yoloport $(UNIT_BINS) $(TSAN_BINS) $(FUZZ_BINS)

test: deps
	@$(MAKE) --no-print-directory -j$$(nproc) unit-tests
	@sh tests/run.sh

FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do \
	  n=$$(basename $$f); mkdir -p build/fuzz-corpus/$$n build/fuzz-artifacts; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 -timeout=10 -artifact_prefix=build/fuzz-artifacts/ build/fuzz-corpus/$$n tests/fuzz/corpus/$$n || exit 1; \
	done

bench: build/yoloport
	@for b in bench/*.sh; do sh $$b || exit 1; done

install: build/yoloport
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/yoloport $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 build/yoloport $(DESTDIR)$(PREFIX)/bin/yoloport
	cp -R share/. $(DESTDIR)$(PREFIX)/share/yoloport/
	cp -R themes $(DESTDIR)$(PREFIX)/share/yoloport/
	install -m 644 man/yoloport.1 $(DESTDIR)$(PREFIX)/share/man/man1/yoloport.1

clean:
	rm -rf build
