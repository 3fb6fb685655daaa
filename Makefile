# husk: one non-recursive GNU Makefile for the whole tree.
#
#   make                 libhusk (static + shared), husk, containerd-shim-husk-v2,
#                        husk-init (static)
#   make test            installs Debian packages, builds, runs every suite
#   make soak            the reliability rig tests at full size (hours)
#   make check           unit tests only (no packages, no KVM, no rig)
#   make lint            clang-format (check mode) and shellcheck over the tree
#   make guest-kernel    builds/caches the guest kernel (tinyconfig + fragment)
#   make bench           benchmark tables (printed, never asserted)
#   make fuzz            libFuzzer harnesses, bounded time each
#   make install         honours PREFIX and DESTDIR
#
# Switches: V=1 (echo commands), WERROR=0, SANITIZE=address,undefined, CC=clang.

VERSION      := 0.1.0
ABI_VERSION  := 0
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
DATADIR      ?= $(PREFIX)/share
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR      ?=

CC           ?= cc
PKG_CONFIG   ?= pkg-config
O            := build

ifeq ($(V),1)
Q :=
E := @true
else
Q := @
E := @echo
endif

WARNINGS := -Wall -Wextra -Wformat=2 -Winit-self -Wmissing-prototypes \
	-Wmissing-declarations -Wstrict-prototypes -Wold-style-definition \
	-Wredundant-decls -Wundef -Wwrite-strings -Wshadow -Wvla \
	-Wno-unused-parameter
ifneq ($(WERROR),0)
WARNINGS += -Werror
endif

CFLAGS   ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -DHUSK_VERSION='"$(VERSION)"' -Iinclude -I.
BASE_CFLAGS := -std=gnu11 -fPIC -fvisibility=hidden -pthread $(WARNINGS) \
	-MMD -MP

ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
# libhusk's seccomp policies (vmm/seccomp/policy.c) add what the sanitizer
# runtime does on a filtered thread.
CPPFLAGS += -DHUSK_SANITIZER_RUNTIME
endif

# Dependencies come from pkg-config; a missing one is a clear error, not a
# half-built tree. (libfdt is not needed on x86: no device tree is built.)
pc = $(shell $(PKG_CONFIG) $(1) $(2) 2>/dev/null)
ZLIB_CFLAGS  := $(call pc,--cflags,zlib)
ZLIB_LIBS    := $(call pc,--libs,zlib)
YAJL_CFLAGS  := $(call pc,--cflags,yajl)
YAJL_LIBS    := $(call pc,--libs,yajl)
CHECK_CFLAGS := $(call pc,--cflags,check)
CHECK_LIBS   := $(call pc,--libs,check)
PBC_CFLAGS   := $(call pc,--cflags,libprotobuf-c)
PBC_LIBS     := $(call pc,--libs,libprotobuf-c)

ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS) $(SAN_FLAGS) $(CPPFLAGS)
ALL_LDFLAGS = -pthread $(LDFLAGS) $(SAN_FLAGS)

# ---------------------------------------------------------------- libhusk
# common/ (the error API, clocks) is linked into all three programs; the
# library carries it so that libhusk.a and libhusk.so stand alone.
COMMON_SRCS := $(sort $(wildcard common/*.c))
LIB_SRCS := $(sort $(wildcard vmm/*.c vmm/*/*.c vmm/*/*/*.c)) $(COMMON_SRCS)
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
LIB_A    := $(O)/libhusk.a
LIB_SONAME := libhusk.so.$(ABI_VERSION)
LIB_SO   := $(O)/$(LIB_SONAME)
LIB_LIBS := $(ZLIB_LIBS)

$(O)/vmm/%.o $(O)/common/%.o: CPPFLAGS += -DHUSK_BUILDING_LIB $(ZLIB_CFLAGS)

$(LIB_A): $(LIB_OBJS)
	$(E) "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIB_SO): $(LIB_OBJS)
	$(E) "  LD      $@"
	$(Q)$(CC) -shared -Wl,-soname,$(LIB_SONAME) -o $@ $^ $(ALL_LDFLAGS) $(LIB_LIBS)
	$(Q)ln -sf $(LIB_SONAME) $(O)/libhusk.so

$(O)/husk.pc: husk.pc.in Makefile
	$(E) "  GEN     $@"
	$(Q)mkdir -p $(@D)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		-e 's|@LIBS_PRIVATE@|$(LIB_LIBS) -pthread|' $< > $@

# ---------------------------------------------------------------- binaries
CLI_SRCS  := $(sort $(wildcard cli/*.c))
CLI_OBJS  := $(CLI_SRCS:%.c=$(O)/%.o)
HUSK_BIN  := $(O)/husk

$(HUSK_BIN): $(CLI_OBJS) $(LIB_A)
	$(E) "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIB_LIBS)

# The shim: shim/*.c and its subsystem folders (shim/*/*.c) plus C code
# protoc-c generates from shim/proto/*.proto into $(O)/shim/gen (never
# into the tree). Everything but main.o also goes
# into libshim.a, which the unit tests and fuzz harnesses link.
# agent-codec/: the agent protocol codec, the OCI spec parser and husk's one
# JSON layer over yajl (json.c). husk-init compiles it in; as a host library
# it serves the shim, the unit tests, the fuzzers and the agent test client
# (each links common/ beside it). libhusk does not use yajl.
AGENT_CODEC_SRCS := $(sort $(wildcard agent-codec/*.c))
AGENT_CODEC_A    := $(O)/libagentcodec.a
$(O)/agent-codec/%.o: CPPFLAGS += $(YAJL_CFLAGS)
$(AGENT_CODEC_A): $(AGENT_CODEC_SRCS:%.c=$(O)/%.o)
	$(E) "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

SHIM_SRCS := $(sort $(wildcard shim/*.c shim/*/*.c))
SHIM_OBJS := $(SHIM_SRCS:%.c=$(O)/%.o)
SHIM_BIN  := $(O)/containerd-shim-husk-v2
SHIM_A    := $(O)/libshim.a
PROTO_SRCS := $(sort $(wildcard shim/proto/*.proto))
PBC_GEN   := $(O)/shim/gen
PBC_CSRCS := $(PROTO_SRCS:shim/proto/%.proto=$(PBC_GEN)/%.pb-c.c)
PBC_HDRS  := $(PBC_CSRCS:.c=.h)
PBC_OBJS  := $(PBC_CSRCS:.c=.o)
# What a test or fuzz binary needs besides libhusk to link shim code.
SHIM_TEST_LIBS := $(SHIM_A) $(AGENT_CODEC_A)
SHIM_TEST_LDLIBS := $(PBC_LIBS) $(YAJL_LIBS)

$(O)/shim/%.o: CPPFLAGS += $(YAJL_CFLAGS) $(PBC_CFLAGS) -I$(PBC_GEN) \
	-DHUSK_DATADIR='"$(DATADIR)"' -DHUSK_BINDIR='"$(BINDIR)"'

# One protoc-c run writes every .pb-c.c/.h; the stamp makes that a single
# rule however many files it produces.
$(PBC_GEN)/.stamp: $(PROTO_SRCS)
	$(E) "  PROTOC  $(PBC_GEN)"
	$(Q)mkdir -p $(PBC_GEN) && rm -f $(PBC_GEN)/*.pb-c.[ch]
	$(Q)protoc-c --c_out=$(PBC_GEN) -Ishim/proto $(PROTO_SRCS)
	$(Q)touch $@

$(PBC_CSRCS) $(PBC_HDRS): $(PBC_GEN)/.stamp

# Generated code is not ours to lint: build it without the warning list.
$(PBC_GEN)/%.pb-c.o: $(PBC_GEN)/%.pb-c.c
	$(E) "  CC      $@"
	$(Q)$(CC) -std=gnu11 -fPIC -pthread -w -MMD -MP $(CFLAGS) $(SAN_FLAGS) \
		$(PBC_CFLAGS) -I$(PBC_GEN) -c -o $@ $<

# Anything that may include a generated header waits for the generator,
# and is built again when it ran: make keeps the time it first saw of a
# generated file that has no recipe of its own, so neither the .d files'
# header lists nor the .pb-c.c files would ever look newer than an object
# (seen: a .pb-c.o left from before a .proto change, encoding with the
# old message layout).
SHIM_INCLUDERS := $(SHIM_OBJS) $(patsubst %.c,$(O)/%.o,$(wildcard \
	tests/unit/test_*.c tests/unit/*/test_*.c tests/lib/*.c tests/fuzz/*.c tests/bench/*.c))
$(SHIM_INCLUDERS) $(PBC_OBJS): $(PBC_GEN)/.stamp | $(PBC_HDRS)
$(O)/tests/%.o: CPPFLAGS += $(PBC_CFLAGS) -I$(PBC_GEN)

$(SHIM_A): $(filter-out $(O)/shim/main.o,$(SHIM_OBJS)) $(PBC_OBJS)
	$(E) "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(SHIM_BIN): $(O)/shim/main.o $(SHIM_A) $(AGENT_CODEC_A) $(LIB_A)
	$(E) "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIB_LIBS) $(YAJL_LIBS) $(PBC_LIBS)

# husk-init is PID 1 in the guest: static, no sanitizers (they need a
# runtime the guest does not have), size-optimised.
INIT_SRCS := $(sort $(wildcard guest-init/*.c guest-init/*/*.c agent-codec/*.c)) $(COMMON_SRCS)
INIT_OBJS := $(INIT_SRCS:%.c=$(O)/init/%.o)
INIT_BIN  := $(O)/husk-init
INIT_CFLAGS = $(BASE_CFLAGS) -Os -g0 -fno-pie $(CPPFLAGS) $(YAJL_CFLAGS)
INIT_LIBS := /usr/lib/x86_64-linux-gnu/libyajl_s.a

$(O)/init/%.o: %.c
	$(E) "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(INIT_CFLAGS) -c -o $@ $<

$(INIT_BIN): $(INIT_OBJS)
	$(E) "  LD      $@"
	$(Q)$(CC) -static -no-pie -Wl,--gc-sections -s -o $@ $^ $(INIT_LIBS) -pthread

# Static helpers that run inside test guests.
TOOL_BINS := $(O)/tests/bootmark $(O)/tests/agent-suite $(O)/tests/husk-stream \
	$(O)/tests/husk-io $(O)/tests/shim-update

# The husk-init protocol test client (tests/agent/), run on the host and in the rig.
AGENT_SUITE := $(O)/tests/agent-suite
$(AGENT_SUITE): $(patsubst %.c,$(O)/%.o,$(sort $(wildcard tests/agent/*.c)) $(COMMON_SRCS)) \
		$(AGENT_CODEC_A)
	$(E) "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(YAJL_LIBS)

$(O)/tests/bootmark: tests/tools/bootmark.c
	$(E) "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(INIT_CFLAGS) -static -no-pie -s -o $@ $<

# Stream and block I/O tools of the virtio rig tests (tests/tools/NAME.c).
$(O)/tests/husk-stream $(O)/tests/husk-io: $(O)/tests/%: tests/tools/%.c
	$(E) "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(INIT_CFLAGS) -static -no-pie -s -o $@ $< -pthread

# A ttrpc client of the shim for what ctr 1.6 cannot send (Task Update).
$(O)/tests/tools/shim-update.o: CPPFLAGS += $(PBC_CFLAGS) -I$(PBC_GEN)
$(O)/tests/tools/shim-update.o: | $(PBC_HDRS)
$(O)/tests/shim-update: $(O)/tests/tools/shim-update.o $(SHIM_TEST_LIBS) $(LIB_A)
	$(E) "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIB_LIBS) $(SHIM_TEST_LDLIBS)

BINS := $(HUSK_BIN) $(SHIM_BIN) $(INIT_BIN)

# Benchmark programs linked like the unit tests (tests/bench/NAME.c).
BENCH_SRCS := $(sort $(wildcard tests/bench/*.c))
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(O)/tests/bench-%)

# ---------------------------------------------------------------- generic
$(O)/%.o: %.c
	$(E) "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

.DEFAULT_GOAL := all
.SECONDARY:
.PHONY: all
all: $(LIB_A) $(LIB_SO) $(O)/husk.pc $(BINS) $(TOOL_BINS)

# ---------------------------------------------------------------- unit tests
# One Check suite per module: tests/unit/[PART/]test_<module>.c (vmm/: libhusk,
# shim/: the shim; agent-codec, cli and common at the top). Each links the
# static library (symbols hidden from the .so are still reachable here) and
# the helpers in tests/lib/.
TLIB_SRCS := $(sort $(wildcard tests/lib/*.c))
TLIB_OBJS := $(TLIB_SRCS:%.c=$(O)/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c tests/unit/*/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/unit/%)

$(O)/tests/%.o: CPPFLAGS += $(CHECK_CFLAGS) $(ZLIB_CFLAGS) $(YAJL_CFLAGS)

$(O)/tests/bench-%: $(O)/tests/bench/%.o $(TLIB_OBJS) $(SHIM_TEST_LIBS) $(LIB_A)
	$(E) "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIB_LIBS) $(SHIM_TEST_LDLIBS) $(CHECK_LIBS)

$(O)/tests/unit/%: $(O)/tests/unit/%.o $(TLIB_OBJS) $(SHIM_TEST_LIBS) $(LIB_A)
	$(E) "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIB_LIBS) $(SHIM_TEST_LDLIBS) $(CHECK_LIBS)

# The CLI's option parser and --stats rows are checked on their own too
# (its configs' fields, the table's lines); their objects go before the
# library they call.
$(O)/tests/unit/test_cli: $(O)/tests/unit/test_cli.o $(O)/cli/cli_devices.o $(O)/cli/cli_stats.o \
		$(TLIB_OBJS) $(SHIM_TEST_LIBS) $(LIB_A)
	$(E) "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIB_LIBS) $(SHIM_TEST_LDLIBS) $(CHECK_LIBS)

# husk-init is no library: its pure helpers are compiled for the host and
# linked into their suites in tests/unit/guest-init/.
$(O)/tests/unit/guest-init/test_init_cgroup: $(O)/guest-init/container/cgroup_keys.o

# ---------------------------------------------------------------- fuzzing
# Each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput. With gcc it is
# linked to tests/fuzz/replay.c, which replays tests/fuzz/corpus/NAME/ in
# `make check`; `make fuzz` (tests/fuzz/run) builds it with clang's
# libFuzzer in build-fuzz/ (FUZZ=1) and fuzzes for a bounded time.
FUZZ_SRCS   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
REPLAY_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/tests/fuzz/%-replay)
FUZZ_BINS   := $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/tests/fuzz/%)
ifeq ($(FUZZ),1)
SAN_FLAGS += -fsanitize=fuzzer-no-link
endif

$(O)/tests/fuzz/%-replay: $(O)/tests/fuzz/%.o $(O)/tests/fuzz/replay.o $(TLIB_OBJS) $(SHIM_TEST_LIBS) $(LIB_A)
	$(E) "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(LIB_LIBS) $(SHIM_TEST_LDLIBS)

$(O)/tests/fuzz/fuzz_%: $(O)/tests/fuzz/fuzz_%.o $(TLIB_OBJS) $(SHIM_TEST_LIBS) $(LIB_A)
	$(E) "  LD      $@"
	$(Q)$(CC) -fsanitize=fuzzer -o $@ $^ $(ALL_LDFLAGS) $(LIB_LIBS) $(SHIM_TEST_LDLIBS)

.PHONY: fuzz-bins
fuzz-bins: $(FUZZ_BINS)

.PHONY: check
check: $(UNIT_BINS) $(REPLAY_BINS) $(BINS)
	$(Q)rm -f $(O)/check-results
	$(Q)export HUSK_RESULTS=$(abspath $(O))/check-results HUSK_LABEL=$(or $(HUSK_LABEL),unit); st=0; \
		tests/run-unit $(UNIT_BINS) || st=1; \
		tests/run-replay $(REPLAY_BINS) || st=1; \
		tests/summary check $$HUSK_RESULTS || st=1; exit $$st

# ---------------------------------------------------------------- full suite
.PHONY: deps test soak guest-kernel bench fuzz demo lint
# README's first command: a container in a husk microVM (scripts/demo).
demo: deps
	$(Q)$(MAKE) --no-print-directory all guest-kernel
	$(Q)scripts/demo

deps:
	$(Q)scripts/install-deps

# `make test` is the one command CI runs: packages, lint, build, the guest
# kernel (two unit tests boot it), unit tests, host-KVM tests, then the rig
# tests (nested KVM under QEMU TCG). A lint or unit test failure is
# recorded in the ledger and the later steps still run; the closing line
# (tests/summary) counts every outcome and fails if any failed.
test: deps
	$(Q)rm -f $(O)/test-results $(O)/check-results
	$(Q)HUSK_RESULTS=$(abspath $(O))/test-results scripts/lint --record || true
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory guest-kernel
	$(Q)$(MAKE) --no-print-directory check || true
	$(Q)if [ -f $(O)/check-results ]; then cat $(O)/check-results >> $(O)/test-results; \
	else echo "FAIL 1 check: the unit tests did not build" >> $(O)/test-results; fi
	$(Q)rm -f build-asan/check-results
	$(Q)$(MAKE) --no-print-directory O=build-asan SANITIZE=address,undefined HUSK_LABEL=asan all check || true
	$(Q)if [ -f build-asan/check-results ]; then cat build-asan/check-results >> $(O)/test-results; \
	else echo "FAIL 1 check-asan: the ASan/UBSan build did not build" >> $(O)/test-results; fi
	$(Q)tests/run-suites

# `make soak`: the reliability rig tests (tests/rig/t-shim-reliability.sh,
# t-shim-failures.sh) at full size, which `make test` runs small: 100
# create-start-delete cycles in a pod and 100 `ctr run --rm`, 1 GiB through
# a container's stdout and 256 MiB through its stdin, 20 execs at once,
# and 100 boots each of husk and QEMU microvm (t-rig-faults). Hours of rig time:
# not part of `make test` (CI's 90 minutes); its own ledger and closing line.
SOAK_CYCLES ?= 100
SOAK_STDOUT_MIB ?= 1024
SOAK_STDIN_MIB ?= 256
soak: deps
	$(Q)$(MAKE) --no-print-directory all guest-kernel
	$(Q)rm -f $(O)/soak-results
	$(Q)HUSK_RESULTS=$(abspath $(O))/soak-results HUSK_SUITES_LABEL=soak \
		HUSK_RIG_ONLY="t-shim-reliability t-shim-failures t-shim-vm-oom t-rig-faults" \
		HUSK_RELIAB_PARTS="restart execs streams runs" HUSK_FAULT_BOOTS=100 \
		HUSK_SOAK_CYCLES=$(SOAK_CYCLES) HUSK_SOAK_STDOUT_MIB=$(SOAK_STDOUT_MIB) \
		HUSK_SOAK_STDIN_MIB=$(SOAK_STDIN_MIB) \
		HUSK_RIG_TEST_LIMIT=10800 HUSK_RIG_TIMEOUT=25200 tests/run-suites

guest-kernel:
	$(Q)scripts/guest-kernel

# clang-format (the top .clang-format) and shellcheck (.shellcheckrc) over
# every C file and shell script we own; see scripts/lint.
lint:
	$(Q)scripts/lint

# bench and fuzz install what they need, as test and demo do.
bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS) guest-kernel
	$(Q)BENCH="$(BENCH)" tests/bench/run

fuzz: deps
	$(Q)tests/fuzz/run

# ---------------------------------------------------------------- install
.PHONY: install
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(DATADIR)/husk
	install -m 755 $(HUSK_BIN) $(SHIM_BIN) $(INIT_BIN) $(DESTDIR)$(BINDIR)/
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libhusk.so
	install -m 644 include/husk.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(O)/husk.pc $(DESTDIR)$(PKGCONFIGDIR)/
	@k=$$(scripts/guest-kernel --print-path 2>/dev/null); \
	if [ -n "$$k" ] && [ -f "$$k/bzImage" ]; then \
		install -m 644 $$k/bzImage $(DESTDIR)$(DATADIR)/husk/vmlinuz; \
		install -m 644 $$k/vmlinux $(DESTDIR)$(DATADIR)/husk/vmlinux; \
	else \
		echo "install: guest kernel not built (make guest-kernel); not installed"; \
	fi

.PHONY: clean
clean:
	rm -rf $(O) build-asan build-fuzz

-include $(shell find $(O) -name '*.d' 2>/dev/null)
