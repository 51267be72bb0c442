# hull - build, unit tests (under ASan+UBSan), integration tests, benchmark.
#
#   make            build build/hullrt and build/libhull.a
#   make unit       unit tests, built with -fsanitize=address,undefined
#   make check      dependencies, build, unit tests, integration tests (root)
#   make bench      the benchmark in bench/ (root); BENCH_ENGINE=1 adds bench-engine
#   make bench-engine  hull against podman and hull --runtime crun/runc (root)

CC      ?= gcc
PKGS    := json-c libseccomp libcap libarchive libcrypto
O       := build

WARN    := -Wall -Wextra -Werror=implicit-function-declaration \
	   -Werror=incompatible-pointer-types -Wshadow -Wformat=2 \
	   -Wmissing-prototypes -Wno-unused-parameter
HARDEN  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection \
	   -fPIE -fcf-protection
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) $(HARDEN) -fvisibility=hidden -D_GNU_SOURCE \
	   -Isrc/lib $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS += -pie -Wl,-z,relro,-z,now -Wl,--as-needed
LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

LIB_SRC := $(sort $(wildcard src/lib/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(O)/%.o)
RT_SRC  := $(sort $(wildcard src/runtime/*.c))
RT_OBJ  := $(RT_SRC:%.c=$(O)/%.o)
ENG_SRC := $(sort $(wildcard src/engine/*.c src/engine/*/*.c))
ENG_OBJ := $(ENG_SRC:%.c=$(O)/%.o)

SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
UNIT_SRC := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(O)/unit/%)
SAN_LIB_OBJ := $(LIB_SRC:%.c=$(O)/san/%.o)

PYTEST  := /usr/bin/python3 -m pytest --basetemp=$(CURDIR)/$(O)/pytest-tmp

.PHONY: all unit integration check deps bench bench-engine clean

all: $(O)/hullrt $(O)/hull $(O)/hull-monitor $(O)/hull-init $(O)/libhull.a $(O)/probe

$(O)/%.o: %.c $(wildcard src/lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(O)/src/lib/dmz-blob.o: src/lib/dmz-blob.S $(O)/dmz
	@mkdir -p $(dir $@)
	$(CC) -c -DDMZ_PATH='"$(O)/dmz"' -o $@ $<

# The trampoline the container's init execs from a sealed memfd before the
# user's program, so /proc/self/exe never names the hullrt binary inside a
# container (CVE-2019-5736).  Static, no libc, a few hundred bytes.
$(O)/dmz: src/lib/dmz/dmz.c
	@mkdir -p $(dir $@)
	$(CC) -Os -ffreestanding -fno-tree-loop-distribute-patterns -static -nostdlib -nostartfiles -fno-stack-protector -fno-pie -no-pie \
		-fno-asynchronous-unwind-tables -Wl,--build-id=none -Wl,-z,norelro -s -o $@ $<

$(O)/libhull.a: $(LIB_OBJ) $(O)/src/lib/dmz-blob.o
	rm -f $@ && ar rcs $@ $^

# hullrt is linked static-pie: no dynamic loader resolving json-c, libseccomp,
# libcap and libc on every start (about 6% of a `run`, see bench/RESULTS.md).
# The -dev packages ship the .a files; RT_LINK=dynamic links it as usual.
RT_LINK ?= static
RT_LDFLAGS := $(if $(filter static,$(RT_LINK)),-static-pie,-pie)

$(O)/hullrt: $(RT_OBJ) $(O)/libhull.a
	$(CC) $(CFLAGS) $(filter-out -pie,$(LDFLAGS)) $(RT_LDFLAGS) -o $@ $(RT_OBJ) $(O)/libhull.a $(LIBS)

# The engine: image store and containers over libhull.
$(O)/src/engine/%.o: src/engine/%.c $(wildcard src/lib/*.h src/engine/*.h src/engine/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc/engine -c -o $@ $<

# A container's monitor, static and lean (it lives as long as the
# container): libhull, json-c, libseccomp, libcap, and the engine's few
# modules it needs; not the image libraries.
MON_OBJ := $(addprefix $(O)/src/engine/,monitor.o container.o engine-util.o rootfs.o volume.o ext-runtime.o)
$(O)/src/monitor/main.o: src/monitor/main.c src/engine/engine.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc/engine -c -o $@ $<

$(O)/hull-monitor: $(O)/src/monitor/main.o $(MON_OBJ) $(O)/libhull.a
	$(CC) $(CFLAGS) -static -no-pie -Wl,--gc-sections -o $@ $^ -ljson-c -lseccomp -lcap

# `hull run --init`: PID 1 that reaps zombies and forwards signals,
# bind-mounted at /dev/init; static, so no library of the image is needed.
$(O)/hull-init: src/init/hull-init.c
	@mkdir -p $(dir $@)
	$(CC) -Os -static -Wall -Wextra -s -o $@ $<

# hull too is static: dynamically, libarchive alone brings libxml2, ICU
# and libstdc++ (20 libraries, about 2.3 ms of every `hull` command, for the
# tar code only import/commit/export use).  Static and not PIE, like
# hull-monitor: static-pie applies its 19,600 relative relocations at every
# start, which dirties the 370 kB of .data.rel.ro (libxml2's, ICU's and
# libcrypto's tables): about 100 page faults, 1.2 ms here, in every command
# (bench/RESULTS.md).  ENG_LINK=dynamic links it as usual.
ENG_LINK ?= static
ENG_STATIC_LIBS = $(shell pkg-config --static --libs json-c libseccomp libcap libarchive libxml-2.0 libcrypto 2>/dev/null) -lstdc++
ENG_GC := -Wl,--gc-sections
ENG_LDFLAGS := $(if $(filter static,$(ENG_LINK)),-static -no-pie $(ENG_GC),-pie)
ENG_LIBS = $(if $(filter static,$(ENG_LINK)),$(ENG_STATIC_LIBS),$(LIBS))

$(O)/hull: $(ENG_OBJ) $(O)/libhull.a
	$(CC) $(CFLAGS) $(filter-out -pie,$(LDFLAGS)) $(ENG_LDFLAGS) -o $@ $(ENG_OBJ) $(O)/libhull.a $(ENG_LIBS)

# A static probe copied into test rootfs: asks the container what it sees.
$(O)/probe: tests/integration/probe.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -static -o $@ $<

# Sanitizer build of the library for unit tests.
$(O)/san/%.o: %.c $(wildcard src/lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O1 $(SAN) -c -o $@ $<

$(O)/unit/%: tests/unit/%.c $(SAN_LIB_OBJ) $(O)/src/lib/dmz-blob.o $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O1 $(SAN) -Itests/unit -o $@ $< $(SAN_LIB_OBJ) $(O)/src/lib/dmz-blob.o $(LIBS)

# hull under ASan+UBSan: HULL=build/san/hull make integration (or pytest
# tests/engine) runs the engine's tests against it (with the plain static
# hull-monitor and hull-init beside it).
$(O)/san/hull: $(ENG_SRC) $(SAN_LIB_OBJ) $(O)/src/lib/dmz-blob.o $(O)/hull-init $(O)/hull-monitor $(wildcard src/engine/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O1 $(SAN) -Isrc/engine -o $@ $(ENG_SRC) $(SAN_LIB_OBJ) $(O)/src/lib/dmz-blob.o $(LIBS)
	cp $(O)/hull-init $(O)/hull-monitor $(O)/san/

.PHONY: hull-san
hull-san: $(O)/san/hull

# The engine's helpers, with their module built under the sanitizers too.
$(O)/unit/test-engine-util: tests/unit/test-engine-util.c src/engine/engine-util.c src/engine/engine.h $(SAN_LIB_OBJ) $(O)/src/lib/dmz-blob.o tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O1 $(SAN) -Itests/unit -Isrc/engine -o $@ $< src/engine/engine-util.c $(SAN_LIB_OBJ) $(O)/src/lib/dmz-blob.o $(LIBS)

unit: $(UNIT_BIN)
	@./tests/unit/run.sh $(UNIT_BIN)

integration: all
	$(PYTEST) -q -p no:cacheprovider tests/integration tests/engine

deps:
	./scripts/deps.sh

check: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) integration

bench: all
	./bench/run.sh
	$(if $(filter 1,$(BENCH_ENGINE)),./bench/engine.sh)

bench-engine: all
	./bench/engine.sh

clean:
	rm -rf $(O)

# libFuzzer on the config.json parser for 30 s (needs clang).  New inputs
# go to $(O)/fuzz-corpus/spec; tests/fuzz/corpus/spec holds the seeds.
.PHONY: fuzz fuzz-image fuzz-tar
FUZZ_CC ?= clang
FUZZ_SPEC_SRC := tests/fuzz/fuzz-spec.c $(wildcard src/lib/spec*.c) src/lib/seccomp-filter.c src/lib/path.c src/lib/error.c

$(O)/fuzz-spec: $(FUZZ_SPEC_SRC) $(wildcard src/lib/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -g -O1 $(WARN) -fsanitize=fuzzer,address,undefined -Isrc/lib \
		$(shell pkg-config --cflags json-c libseccomp) -o $@ $(FUZZ_SPEC_SRC) $(shell pkg-config --libs json-c libseccomp)

fuzz: $(O)/fuzz-spec
	@mkdir -p $(O)/fuzz-corpus/spec
	$(O)/fuzz-spec -max_total_time=30 -dict=tests/fuzz/spec.dict $(O)/fuzz-corpus/spec tests/fuzz/corpus/spec
.SECONDARY:

# The image store's text parsers (changes, references, image configs).
FUZZ_IMAGE_SRC := tests/fuzz/fuzz-image.c src/engine/image-change.c src/engine/image-config.c src/engine/store.c \
	src/engine/store-write.c src/engine/engine-util.c \
	src/engine/layer.c src/lib/error.c src/lib/path.c

$(O)/fuzz-image: $(FUZZ_IMAGE_SRC) $(wildcard src/lib/*.h src/engine/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -g -O1 $(WARN) -fsanitize=fuzzer,address,undefined -Isrc/lib -Isrc/engine \
		$(shell pkg-config --cflags json-c libarchive) -o $@ $(FUZZ_IMAGE_SRC) \
		$(shell pkg-config --libs json-c libarchive libcrypto)

fuzz-image: $(O)/fuzz-image
	@mkdir -p $(O)/fuzz-corpus/image
	$(O)/fuzz-image -max_total_time=30 $(O)/fuzz-corpus/image tests/fuzz/corpus/image

# Layer unpacking on untrusted tars.  The target drops to uid 65534 and
# checks that nothing lands outside the layer's directory.
FUZZ_TAR_SRC := tests/fuzz/fuzz-tar.c src/engine/layer.c src/lib/error.c src/lib/path.c

$(O)/fuzz-tar: $(FUZZ_TAR_SRC) $(wildcard src/lib/*.h src/engine/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -g -O1 $(WARN) -fsanitize=fuzzer,address,undefined -Isrc/lib -Isrc/engine \
		$(shell pkg-config --cflags libarchive) -o $@ $(FUZZ_TAR_SRC) $(shell pkg-config --libs libarchive libcrypto)

fuzz-tar: $(O)/fuzz-tar
	@mkdir -p $(O)/fuzz-corpus/tar $(O)/fuzz-artifacts && chmod 1777 $(O)/fuzz-corpus/tar $(O)/fuzz-artifacts
	$(O)/fuzz-tar -max_total_time=30 -max_len=65536 -artifact_prefix=$(O)/fuzz-artifacts/ \
		$(O)/fuzz-corpus/tar tests/fuzz/corpus/tar
