# adeis: numerical verification of gradients through diffusion samplers.
# make            builds build/libadeis.a and build/adeis
# make check      builds and runs every test (SAN=1: under ASan + UBSan)
# make bench      runs the benchmarks and writes docs/benchmarks.md
# make install PREFIX=/usr/local
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

LIB_SRC := $(sort $(wildcard core/*.c analytic/*.c solvers/*.c runs/*.c studies/*.c plots/*.c))
CLI_SRC := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/%.o)
HEADERS := $(wildcard core/*.h analytic/*.h solvers/*.h runs/*.h studies/*.h plots/*.h cli/*.h tests/*.h)

.PHONY: all deps check bench demo install clean
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
# References are cached in a fresh folder of the build, never in the user's cache.
check: $(BUILD)/adeis $(BUILD)/adeis-tests
	rm -rf $(BUILD)/test-cache
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp ADEIS_BIN=$(CURDIR)/$(BUILD)/adeis \
	  ADEIS_ROOT=$(CURDIR) ADEIS_CACHE_DIR=$(CURDIR)/$(BUILD)/test-cache $(BUILD)/adeis-tests --jobs 2

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
	for d in core analytic solvers runs studies plots; do \
	  install -d $(DESTDIR)$(PREFIX)/include/adeis/$$d; \
	  for h in $$d/*.h; do [ -f "$$h" ] && install -m 644 $$h $(DESTDIR)$(PREFIX)/include/adeis/$$d/; done; \
	done
	sed -e 's|@PREFIX@|$(PREFIX)|' adeis.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/adeis.pc

clean:
	rm -rf build build-san
