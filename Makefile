# skiff: `make` builds build/skiff; `make check` runs every test (unit + lab).
# See README.md. Every Debian package needed is installed by scripts/install-deps.sh.

CC      ?= gcc
BUILD   := build
SLIRP_CFLAGS := -I/usr/include/slirp
SLIRP_LIBS   := -lslirp

WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc -I$(BUILD)/gen $(SLIRP_CFLAGS) -MMD -MP
LDLIBS  := -lpthread $(SLIRP_LIBS) -llzma -lz -lisal

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

LIB_SRCS := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
ASM_SRCS := $(shell find src -name '*.S' | sort)
ASL_SRCS := $(shell find src -name '*.asl' | sort)
AML      := $(patsubst src/%.asl,$(BUILD)/gen/%.aml,$(ASL_SRCS))

OBJS     := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS)) $(patsubst src/%.S,$(BUILD)/obj/%.o,$(ASM_SRCS))
SAN_OBJS := $(patsubst src/%.c,$(BUILD)/san/%.o,$(LIB_SRCS)) $(patsubst src/%.S,$(BUILD)/san/%.o,$(ASM_SRCS))

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
UNIT_HELPERS := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))

.PHONY: all deps check unit lab lab-check demo bench bench-insn clean fuzz fuzz-long
all: deps $(BUILD)/skiff $(BUILD)/skiff-bridge-helper

deps:
	@scripts/install-deps.sh build

$(BUILD)/skiff: $(BUILD)/obj/main.o $(BUILD)/libskiff.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The setuid bridge helper (qemu-bridge-helper's protocol); skiff looks for it beside itself.
$(BUILD)/skiff-bridge-helper: $(wildcard tools/skiff-bridge-helper/*.[ch] tools/skiff-bridge-helper/Makefile)
	@$(MAKE) -s -C tools/skiff-bridge-helper OUT=$(abspath $@)

$(BUILD)/libskiff.a: $(OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libskiff-san.a: $(SAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/obj/%.o: src/%.c | $(AML)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/san/%.o: src/%.c | $(AML)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -c -o $@ $<

# ACPI tables written in ASL, compiled by iasl and linked in with .incbin.
$(BUILD)/gen/%.aml: src/%.asl
	@mkdir -p $(dir $@)
	iasl -p $(basename $@) $< >/dev/null

$(BUILD)/obj/%.o: src/%.S $(AML)
	@mkdir -p $(dir $@)
	$(CC) -I$(BUILD)/gen -c -o $@ $<

$(BUILD)/san/%.o: src/%.S $(AML)
	@mkdir -p $(dir $@)
	$(CC) -I$(BUILD)/gen -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(UNIT_HELPERS) $(BUILD)/libskiff-san.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -Itests/unit -o $@ $< $(UNIT_HELPERS) $(BUILD)/libskiff-san.a $(LDLIBS) -lcmocka

# Unit tests (cmocka, ASan + UBSan); prints cmocka's counts and a total. Then every
# bench/pktcost scenario once, natively (its data path must deliver what it measures).
unit: deps $(UNIT_BINS) $(BUILD)/skiff $(BUILD)/bench/pktcost
	@tests/run-unit.sh $(UNIT_BINS)
	@bench/insn.sh --smoke $(BUILD)/bench/pktcost

# The e1000 data path without a guest, for instruction counts per packet (bench/insn.sh).
$(BUILD)/bench/pktcost: bench/pktcost.c $(BUILD)/libskiff.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libskiff.a $(LDLIBS)

# The far end of the bench's stream row (a unix socket relayed to a tap), a lab tool.
$(BUILD)/bench/streamtap: bench/streamtap.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

# Before each of the bench's boots: the lab host's freed pages faulted in and given back (a lab tool).
$(BUILD)/bench/memscrub: bench/memscrub.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

# The nested lab (tests/lab/README.md): real KVM inside QEMU's software CPU.
lab: all $(BUILD)/bench/streamtap $(BUILD)/bench/memscrub
	@$(MAKE) -C tests/lab images

lab-check: lab
	@tests/lab/run-tests.sh

# libFuzzer (tests/fuzz: e1000, virtio-net, port I/O devices, stream framing, command line,
# kernel images, host GSO packets):
# a bounded run in check (FUZZ_SECONDS in total), a long one on demand.
FUZZ_SECONDS ?= 30
fuzz: deps
	@$(MAKE) -s -C tests/fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

fuzz-long: deps
	@$(MAKE) -s -C tests/fuzz run-long

check: unit fuzz lab-check

# Boot the demo guest: directly where /dev/kvm runs Linux guests, else in the lab.
demo: all
	@scripts/demo.sh

bench: lab $(BUILD)/bench/pktcost
	@bench/run.sh

# Instructions per packet in skiff's e1000 data path (callgrind; no lab, a few seconds).
bench-insn: deps $(BUILD)/bench/pktcost
	@bench/insn.sh $(BUILD)/bench/pktcost

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
