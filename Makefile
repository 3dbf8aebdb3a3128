# adeis: numerical verification of gradients through diffusion samplers.
# make            builds build/libadeis.a and build/adeis
# make check      builds and runs every test (SAN=1: under ASan + UBSan)
# make bench      runs the benchmarks and writes docs/benchmarks.md
# make install PREFIX=/usr/local
# make fuzz        builds the libFuzzer targets of fuzz/ with clang in build-fuzz/ and runs
#                  each for FUZZ_SECONDS (default 60) seconds (docs/reliability.md)
CC ?= cc
PREFIX ?= /usr/local
PKGS := gsl mpfr inih
TEST_PKGS := criterion

ifeq ($(SAN),1)
BUILD := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1 -g
else
BUILD := build
SANFLAGS :=
OPT := -O2 -g
endif

# pkg-config is consulted lazily (=), after the deps target has installed what is missing
DEP_CFLAGS = $(shell pkg-config --cflags $(PKGS))
DEP_LIBS = $(shell pkg-config --libs $(PKGS)) -lgmp -lm
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS))
TEST_LIBS = $(shell pkg-config --libs $(TEST_PKGS))

CFLAGS_ALL = -std=c11 -D_POSIX_C_SOURCE=200809L $(OPT) -Wall -Wextra -Werror -fopenmp $(SANFLAGS) $(DEP_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = -fopenmp $(SANFLAGS) $(LDFLAGS)

LIB_SRC := $(sort $(wildcard core/*.c analytic/*.c solvers/*.c studies/*.c plots/*.c))
CLI_SRC := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/%.o)
HEADERS := $(wildcard core/*.h analytic/*.h solvers/*.h studies/*.h plots/*.h cli/*.h tests/*.h)

.PHONY: all deps check bench demo install clean fuzz fuzz-build fuzz-deps
all: $(BUILD)/libadeis.a $(BUILD)/adeis

deps:
	@pkg-config --exists $(PKGS) $(TEST_PKGS) && command -v gnuplot >/dev/null || bash scripts/install-deps.sh

$(BUILD)/%.o: %.c $(HEADERS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c $(HEADERS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) -Wno-error=missing-field-initializers -c $< -o $@

$(BUILD)/libadeis.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/adeis: $(CLI_OBJ) $(BUILD)/libadeis.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(BUILD)/libadeis.a $(DEP_LIBS)

$(BUILD)/adeis-tests: $(TEST_OBJ) $(BUILD)/libadeis.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(TEST_OBJ) $(BUILD)/libadeis.a $(TEST_LIBS) $(DEP_LIBS)

# Criterion runs each test in its own process; 2 workers for the 2-core machines.
check: $(BUILD)/adeis $(BUILD)/adeis-tests
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp ADEIS_BIN=$(CURDIR)/$(BUILD)/adeis \
	  ADEIS_ROOT=$(CURDIR) $(BUILD)/adeis-tests --jobs 2

$(BUILD)/adeis-bench: $(BENCH_OBJ) $(BUILD)/libadeis.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(BENCH_OBJ) $(BUILD)/libadeis.a $(DEP_LIBS)

bench: $(BUILD)/adeis-bench $(BUILD)/adeis
	$(BUILD)/adeis-bench docs/benchmarks.md

demo: $(BUILD)/adeis
	$(BUILD)/adeis study studies/gaussian-ode.ini -o results/gaussian-ode
	@cat results/gaussian-ode/table.md
	@echo "figures: results/gaussian-ode/convergence.png results/gaussian-ode/work-precision.png"

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/adeis
	install -m 755 $(BUILD)/adeis $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/libadeis.a $(DESTDIR)$(PREFIX)/lib/
	for d in core analytic solvers studies plots; do \
	  install -d $(DESTDIR)$(PREFIX)/include/adeis/$$d; \
	  for h in $$d/*.h; do [ -f "$$h" ] && install -m 644 $$h $(DESTDIR)$(PREFIX)/include/adeis/$$d/; done; \
	done
	sed -e 's|@PREFIX@|$(PREFIX)|' adeis.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/adeis.pc

# ---- fuzzing: the parsers again, built by clang with libFuzzer, ASan and UBSan ----
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD := build-fuzz
FUZZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -Wall -Wextra -Werror \
  -fno-sanitize-recover=undefined -fno-omit-frame-pointer -DADEIS_FUZZ_ROOT='"$(CURDIR)"'
FUZZ_SAN := address,undefined
FUZZ_LIB_SRC := $(sort $(wildcard core/*.c analytic/*.c solvers/*.c)) studies/study.c fuzz/fuzz_file.c
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_TARGETS := inifile problem study

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

fuzz-deps:
	@bash scripts/install-fuzz-deps.sh

# the library's sources with coverage for libFuzzer (fuzzer-no-link), the targets linked with it
$(FUZZ_BUILD)/%.o: %.c $(HEADERS) fuzz/fuzz_file.h | deps fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) $(DEP_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_OBJ) $(HEADERS) fuzz/fuzz_file.h | deps fuzz-deps
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) $(DEP_CFLAGS) -o $@ $< $(FUZZ_LIB_OBJ) \
	  $(DEP_LIBS)

fuzz: fuzz-build
	bash scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf build build-san build-fuzz
