# adeis: numerical verification of gradients through diffusion samplers.
# make            builds build/libadeis.a and build/adeis
# make check      builds and runs every test (SAN=1: under ASan + UBSan)
# make check-cluster  runs a study through a real local Slurm (root; docs/cluster.md)
# make bench      runs the benchmarks and writes docs/benchmarks.md
# make install PREFIX=/usr/local
# make fuzz        builds the libFuzzer targets of fuzz/ with clang in build-fuzz/ and runs
#                  each for FUZZ_SECONDS (default 60) seconds (docs/reliability.md)
CC ?= cc
PREFIX ?= /usr/local
PKGS := gsl mpfr inih
TEST_PKGS := criterion
# nets/: float and double tensor ops on OpenBLAS, safetensors headers with jansson. OpenBLAS
# comes first so that cblas_* resolve to it, not to GSL's reference libgslcblas.
PKGS := openblas jansson zlib $(PKGS)

# DEPS_PREFIX=DIR: build against libraries unpacked into DIR (scripts/unpack-debs.sh), as
# on a machine without package access: pkg-config looks only there and the programs get
# an rpath to it; nothing is installed.
ifneq ($(DEPS_PREFIX),)
DEPS_LIBDIR := $(DEPS_PREFIX)/usr/lib/x86_64-linux-gnu
export PKG_CONFIG_SYSROOT_DIR := $(DEPS_PREFIX)
export PKG_CONFIG_LIBDIR := $(DEPS_LIBDIR)/pkgconfig:$(DEPS_LIBDIR)/openblas-pthread/pkgconfig:$(DEPS_PREFIX)/usr/share/pkgconfig
LDFLAGS += -L$(DEPS_LIBDIR) -Wl,-rpath,$(DEPS_LIBDIR)
# make 4.3's $(shell) does not see exported variables: pass them on the command itself
PKG_CONFIG := env PKG_CONFIG_SYSROOT_DIR=$(PKG_CONFIG_SYSROOT_DIR) PKG_CONFIG_LIBDIR=$(PKG_CONFIG_LIBDIR) pkg-config
else
PKG_CONFIG := pkg-config
endif

ifeq ($(SAN),1)
BUILD := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1 -g
else
BUILD ?= build
SANFLAGS :=
OPT := -O2 -g
endif

# pkg-config is consulted lazily (=), after the deps target has installed what is missing
DEP_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
DEP_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lgmp -lm
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS))
TEST_LIBS = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

# -fPIC: the same objects make the static and the shared library
CFLAGS_ALL = -std=c11 -D_POSIX_C_SOURCE=200809L $(OPT) -Wall -Wextra -Werror -fopenmp -fPIC $(SANFLAGS) $(DEP_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = -fopenmp $(SANFLAGS) $(LDFLAGS)

LIB_SRC := $(sort $(wildcard core/*.c analytic/*.c solvers/*.c runs/*.c studies/*.c plots/*.c))
LIB_SRC += $(sort $(wildcard nets/*.c))
CLI_SRC := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/%.o)
HEADERS := $(wildcard core/*.h analytic/*.h solvers/*.h runs/*.h studies/*.h plots/*.h cli/*.h tests/*.h)
HEADERS += $(wildcard nets/*.h nets/*.inc)

# ---- CUDA (gpu/, docs/gpu.md): begin ----
# nvcc from PATH, else /usr/local/cuda/bin; `make NVCC=` builds without CUDA. With nvcc, the
# .cu files in gpu/ are compiled into the library, ADEIS_HAVE_CUDA is defined, and the programs
# link cudart and cuBLAS with an rpath to the toolkit's lib64. Switching between the two
# configurations rebuilds everything (the stamp file is a prerequisite of every object).
ifeq ($(origin NVCC),undefined)
NVCC := $(shell command -v nvcc 2>/dev/null || { test -x /usr/local/cuda/bin/nvcc && echo /usr/local/cuda/bin/nvcc; })
endif
# The toolkit's libraries are found where nvcc itself looks (its TOP, printed by --dryrun: nvcc
# may be a wrapper script elsewhere): TOP/lib64 or TOP/targets/*/lib. An nvcc without cudart
# and cuBLAS beside it is not usable: the build goes on without CUDA and says so.
ifneq ($(NVCC),)
CUDA_HOME := $(shell $(NVCC) --dryrun -x cu -c /dev/null -o /dev/null 2>&1 | sed -n 's/^\#\$$ TOP=//p' | head -n 1)
CUDA_LIBDIR := $(firstword $(foreach d,$(CUDA_HOME)/lib64 $(wildcard $(CUDA_HOME)/targets/*/lib),$(if $(and $(wildcard $(d)/libcudart.so),$(wildcard $(d)/libcublas.so)),$(realpath $(d)))))
ifeq ($(CUDA_LIBDIR),)
$(warning nvcc at $(NVCC) has no libcudart.so and libcublas.so beside it (TOP=$(CUDA_HOME)): building without CUDA)
override NVCC :=
endif
endif
# SASS for Hopper (H100/H200), PTX of compute_75 (the oldest CUDA 13 supports) for the rest
CUDA_ARCH ?= -gencode arch=compute_90,code=sm_90 -gencode arch=compute_75,code=compute_75
CUDA_STAMP := $(BUILD)/.cuda-$(if $(NVCC),on,off)
HEADERS += $(CUDA_STAMP)
ifneq ($(NVCC),)
CUDA_SRC := $(sort $(wildcard gpu/*.cu))
LIB_OBJ += $(CUDA_SRC:%.cu=$(BUILD)/%.o)
HEADERS += $(wildcard gpu/*.h gpu/*.cuh)
CFLAGS += -DADEIS_HAVE_CUDA
DEP_LIBS += -L$(CUDA_LIBDIR) -Wl,-rpath,$(CUDA_LIBDIR) -lcublas -lcudart -lstdc++
NVCC_FLAGS = -std=c++17 $(OPT) $(CUDA_ARCH) -DADEIS_HAVE_CUDA -Werror all-warnings \
  -Xcompiler -fPIC,-fno-exceptions,-Wall,-Wextra,-Werror $(DEP_CFLAGS)
$(BUILD)/gpu/%.o: gpu/%.cu $(HEADERS) | deps
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCC_FLAGS) -c $< -o $@
# the parity figures and benchmark for a GPU machine (scripts/gpu-check.sh), no Criterion
$(BUILD)/adeis-gpu-parity: gpu/parity.c $(HEADERS) $(BUILD)/libadeis.a
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ gpu/parity.c $(BUILD)/libadeis.a $(DEP_LIBS)
all: $(BUILD)/adeis-gpu-parity
# AddressSanitizer's shadow-gap protection collides with the CUDA driver's mappings on a
# machine with a GPU (not tried here: no GPU); the driver's own allocations are suppressed
# in tests/lsan.supp
ifeq ($(SAN),1)
export ASAN_OPTIONS ?= protect_shadow_gap=0
endif
endif
.DEFAULT_GOAL := all
# the configuration without nvcc, built beside the normal one: the CUDA names refused, the
# parity tests skipped, adeis list saying why (.ci/run)
.PHONY: check-nocuda clean-cuda
check-nocuda:
	$(MAKE) --no-print-directory NVCC= BUILD=build-nocuda build-nocuda/adeis build-nocuda/adeis-tests
	build-nocuda/adeis-tests --filter 'gpu/*'
	build-nocuda/adeis-tests --filter 'backend/*'
	build-nocuda/adeis list | grep -q 'not built: make found no nvcc with cudart'
	@echo "check-nocuda: built without nvcc; CUDA backends refused and reported as not built"
clean: clean-cuda
clean-cuda:
	rm -rf build-gpu build-nocuda
$(CUDA_STAMP):
	@mkdir -p $(BUILD)
	@rm -f $(BUILD)/.cuda-on $(BUILD)/.cuda-off
	@touch $@
# ---- CUDA: end ----

VERSION := 0.1.0
SONAME := libadeis.so.0
SHLIB := libadeis.so.$(VERSION)

.PHONY: all deps check check-example check-prefix check-cluster bench demo install clean fuzz fuzz-build fuzz-deps
all: $(BUILD)/libadeis.a $(BUILD)/$(SHLIB) $(BUILD)/adeis

deps:
ifneq ($(DEPS_PREFIX),)
	@pkg-config --exists $(PKGS) || { echo "DEPS_PREFIX=$(DEPS_PREFIX) lacks $(PKGS) (scripts/unpack-debs.sh)" >&2; exit 2; }
else
	@pkg-config --exists $(PKGS) $(TEST_PKGS) && command -v gnuplot >/dev/null || bash scripts/install-deps.sh
endif

$(BUILD)/%.o: %.c $(HEADERS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c $(HEADERS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) -Wno-error=missing-field-initializers -c $< -o $@

$(BUILD)/libadeis.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/$(SHLIB): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) $(LDFLAGS_ALL) -o $@ $^ $(DEP_LIBS)
	ln -sf $(SHLIB) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libadeis.so

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
	@$(MAKE) --no-print-directory check-example

# The library as another program sees it: install into a scratch prefix, build
# examples/grad.c with the plain pkg-config line, run it on the worked example.
# (Not under SAN=1: the example is an ordinary program linked to the shared library.)
check-example: all
ifeq ($(SAN),1)
	@echo "check-example: skipped under SAN=1 (the installed library is the plain build)"
else
	rm -rf $(BUILD)/inst
	$(MAKE) --no-print-directory install PREFIX=$(CURDIR)/$(BUILD)/inst >/dev/null
	PKG_CONFIG_PATH=$(CURDIR)/$(BUILD)/inst/lib/pkgconfig sh -c \
	  '$(CC) examples/grad.c $$(pkg-config --cflags --libs adeis) -o $(BUILD)/example-grad'
	sh tests/check-example.sh $(BUILD)/example-grad
endif

# A real one-node Slurm (as root; installs slurm-wlm and munge when missing): docs/cluster.md.
check-cluster: $(BUILD)/adeis
	ADEIS_BIN=$(CURDIR)/$(BUILD)/adeis bash tests/cluster/run.sh

$(BUILD)/adeis-bench: $(BENCH_OBJ) $(BUILD)/libadeis.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(BENCH_OBJ) $(BUILD)/libadeis.a $(DEP_LIBS)

# bench/nets/: the networks section (bench/nets.sh; PyTorch part when python3-torch is there)
$(BUILD)/adeis-bench-nets: $(BUILD)/bench/nets/bench_nets.o $(BUILD)/libadeis.a
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(BUILD)/libadeis.a $(DEP_LIBS)

bench: $(BUILD)/adeis-bench $(BUILD)/adeis $(BUILD)/adeis-bench-nets
	$(BUILD)/adeis-bench docs/benchmarks.md
	sh bench/instructions.sh $(BUILD) docs/benchmarks.md
	sh bench/large.sh $(BUILD) docs/benchmarks.md
	sh bench/nets.sh $(BUILD) docs/benchmarks.md

demo: $(BUILD)/adeis
	$(BUILD)/adeis study studies/gaussian-ode.ini -o results/gaussian-ode
	@cat results/gaussian-ode/table.md
	@echo "figures: results/gaussian-ode/convergence.png results/gaussian-ode/work-precision.png"

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/adeis
	install -m 755 $(BUILD)/adeis $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/libadeis.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/$(SHLIB) $(DESTDIR)$(PREFIX)/lib/
	ln -sf $(SHLIB) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libadeis.so
	install -m 644 adeis.h $(DESTDIR)$(PREFIX)/include/adeis/
	for d in core analytic solvers runs studies plots nets; do \
	  install -d $(DESTDIR)$(PREFIX)/include/adeis/$$d; \
	  for h in $$d/*.h; do [ -f "$$h" ] && install -m 644 $$h $(DESTDIR)$(PREFIX)/include/adeis/$$d/; done; \
	done
	sed -e 's|@PREFIX@|$(PREFIX)|' adeis.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/adeis.pc

# The GPU machine's build path, tried here: fetch the Debian packages, unpack them into a
# scratch prefix, build the CPU library and program against it, run one gradient.
check-prefix:
	sh tests/check-prefix.sh

clean:
	rm -rf build build-san build-prefix build-fuzz

# ---- fuzzing: the parsers again, built by clang with libFuzzer, ASan and UBSan ----
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD := build-fuzz
# -fopenmp as in the normal build (clang's OpenMP runtime: libomp-14-dev, install-deps.sh fuzz);
# -Wno-pass-failed: at -O1 with sanitizers clang cannot vectorise the `omp simd` loops, and says so
FUZZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -Wall -Wextra -Werror -fopenmp -Wno-pass-failed \
  -fno-sanitize-recover=undefined -fno-omit-frame-pointer -DADEIS_FUZZ_ROOT='"$(CURDIR)"'
FUZZ_SAN := address,undefined
FUZZ_LIB_SRC := $(LIB_SRC) fuzz/fuzz_file.c
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_TARGETS := inifile problem study safetensors vecfile idx report points refcache

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
.SECONDARY: $(FUZZ_LIB_OBJ) # kept between builds (make would delete them as intermediates)

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


# fuzz-nets: the safetensors reader and network loader alone (one of make fuzz's targets)
.PHONY: fuzz-nets
fuzz-nets: $(FUZZ_BUILD)/fuzz_safetensors
	bash scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) safetensors
