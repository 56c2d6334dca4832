# tale — Danish speech recognition and text analysis in C.
#
#   make            build libtale.a and ./tale (-Wall -Wextra, no warnings)
#   make test       install missing Debian packages, fetch data, build, run every test
#   make demo       install, fetch, build, transcribe a Danish sample with the default model
#   make asan       run the tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make deps       install missing Debian packages (apt-get as root, else sudo, else print the line)
#   make corpus     link ../shared/corpus into data/corpus (download + sha256 when absent)
#   make models     link ../shared/models into data/models (download + sha256 when absent)
#   make bench      build and run the speed benchmarks in bench/
#   make clean

BUILD   ?= build
SAN     ?=
OPT     ?= -O2
CC      ?= cc

PKGS    := fftw3f sndfile samplerate icu-uc icu-i18n portaudio-2.0 libcurl libcrypto zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)
BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null)
BLAS_LIBS   := $(or $(shell pkg-config --libs openblas 2>/dev/null),-lopenblas)

CPPFLAGS += -Icore -Iasr -Inlp -Icorpus -Ibench/lib -Icli -D_GNU_SOURCE \
            -DTALE_DEFAULT_DATA_DIR='"$(CURDIR)/data"' \
            -DTALE_SOURCE_DIR='"$(CURDIR)"'
CFLAGS  += -std=c11 $(OPT) -g -Wall -Wextra -fvisibility=hidden -pthread $(SAN) \
           $(PKG_CFLAGS) $(BLAS_CFLAGS)
LDLIBS  += $(PKG_LIBS) $(BLAS_LIBS) -lstemmer -lm -pthread
LDFLAGS += $(SAN)

LIB_SRC  := $(sort $(wildcard core/*.c asr/*.c nlp/*.c corpus/*.c bench/lib/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/*/test_*.c))
TEST_SUPPORT := $(sort $(wildcard tests/support/*.c))
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
TOOL_SRC := $(sort $(wildcard tools/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
SUP_OBJ  := $(TEST_SUPPORT:%.c=$(BUILD)/obj/%.o)
# tests/asr/test_mel.c -> build/tests/asr_mel
TEST_BIN := $(foreach t,$(TEST_SRC),$(BUILD)/tests/$(subst /test_,_,$(patsubst tests/%.c,%,$(t))))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
TOOL_BIN := $(TOOL_SRC:tools/%.c=$(BUILD)/tools/%)

TALE_BIN := $(if $(filter build,$(BUILD)),tale,$(BUILD)/tale)

.PHONY: ctc-model all test check asan deps corpus models data demo lm bench clean tests-build
.DEFAULT_GOAL := all

all: $(TALE_BIN) $(BUILD)/libtale.a tests-build $(BENCH_BIN) $(TOOL_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libtale.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(TALE_BIN): $(CLI_OBJ) $(BUILD)/libtale.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libtale.a $(LDLIBS)

tests-build: $(TEST_BIN)

# one explicit rule per test: tests/asr/test_mel.c -> $(BUILD)/tests/asr_mel
define TEST_RULE
$(BUILD)/tests/$(2): $(1) $(SUP_OBJ) $(BUILD)/libtale.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CPPFLAGS) -Itests/support $$(CFLAGS) $$(CMOCKA_CFLAGS) $$(LDFLAGS) -o $$@ $$< $$(SUP_OBJ) $$(BUILD)/libtale.a $$(CMOCKA_LIBS) $$(LDLIBS)
endef
$(foreach t,$(TEST_SRC),$(eval $(call TEST_RULE,$(t),$(subst /test_,_,$(patsubst tests/%.c,%,$(t))))))

$(BUILD)/bench/%: bench/%.c $(BUILD)/libtale.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libtale.a $(LDLIBS)

$(BUILD)/tools/%: tools/%.c $(BUILD)/libtale.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libtale.a $(LDLIBS)

deps:
	@sh scripts/deps.sh

corpus:
	@sh scripts/fetch_data.sh corpus

models:
	@sh scripts/fetch_data.sh models

data: corpus models

# Each of test/demo does the whole setup on a fresh machine.
test check: deps
	@FETCH_LENIENT=1 $(MAKE) --no-print-directory data
	@$(MAKE) --no-print-directory all
	@sh scripts/run_tests.sh $(BUILD)

asan: deps
	@FETCH_LENIENT=1 $(MAKE) --no-print-directory data
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	    sh scripts/run_tests.sh build-asan

demo: deps
	@FETCH_LENIENT=1 $(MAKE) --no-print-directory data
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory lm
	@sh scripts/demo.sh

# The word 3-gram LM the CTC demo model decodes with (from the corpus text).
lm: $(TALE_BIN)
	@sh scripts/build_lm.sh

bench: all lm
	@sh scripts/run_bench.sh $(BUILD)

# Rebuild the committed demo acoustic model from scratch (about an hour of CPU; resumable).
ctc-model:
	@sh models/ctc/train.sh

clean:
	rm -rf build build-asan tale

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
