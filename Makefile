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
# libwebsockets: for tale serve (server/), its test and its bench only, not libtale
LWS_CFLAGS := $(shell pkg-config --cflags libwebsockets 2>/dev/null)
LWS_LIBS   := $(or $(shell pkg-config --libs libwebsockets 2>/dev/null),-lwebsockets)
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)
BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null)
BLAS_LIBS   := $(or $(shell pkg-config --libs openblas 2>/dev/null),-lopenblas)

# Installation (make install PREFIX=/usr DESTDIR=stage): the program finds its
# models and data under $(PREFIX)/share/tale, or beside itself when moved
# (bin/../share/tale), or through $TALE_DATA_DIR; a program built and run
# inside this source tree uses the tree (core/paths.c).
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
SHAREDIR ?= $(PREFIX)/share/tale
VERSION := $(shell sed -n 's/^\#define TALE_VERSION_STRING "\(.*\)"/\1/p' core/tale.h)
SOMAJOR := 0

# the library's folders, one per concept (docs/ARCHITECTURE.md)
LIB_DIRS := core corpus nlp asr asr/nn asr/audio asr/whisper asr/wav2vec2 asr/ctc asr/models pipeline
CPPFLAGS += $(addprefix -I,$(LIB_DIRS)) -Ibench/lib -Icli -D_GNU_SOURCE \
            -DTALE_SHARE_DIR='"$(SHAREDIR)"' \
            -DTALE_SOURCE_DIR='"$(CURDIR)"'
CFLAGS  += -std=c11 $(OPT) -g -Wall -Wextra -fPIC -fvisibility=hidden -pthread $(SAN) \
           $(PKG_CFLAGS) $(BLAS_CFLAGS)
LDLIBS  += $(PKG_LIBS) $(BLAS_LIBS) -lstemmer -lm -pthread
LDFLAGS += $(SAN)

LIB_SRC  := $(sort $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
BENCHLIB_SRC := $(sort $(wildcard bench/lib/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c))
# tale serve (docs/SERVE.md): a program layer like cli/, linked into tale, not into libtale
SERVER_SRC := $(sort $(wildcard server/*.c))
TEST_SRC := $(sort $(wildcard tests/*/test_*.c))
TEST_SUPPORT := $(sort $(wildcard tests/support/*.c))
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
TOOL_SRC := $(sort $(wildcard tools/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
BENCHLIB_OBJ := $(BENCHLIB_SRC:%.c=$(BUILD)/obj/%.o)
# the benchmark library (WER, manifests, reports) is the CLI's and the
# benchmarks', not part of libtale
BENCHLIB := $(BUILD)/libtale_bench.a
SONAME  := libtale.so.$(SOMAJOR)
SOLIB   := $(BUILD)/libtale.so.$(VERSION)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
SERVER_OBJ := $(SERVER_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/web_assets.o
SUP_OBJ  := $(TEST_SUPPORT:%.c=$(BUILD)/obj/%.o)
# tests/asr/test_mel.c -> build/tests/asr_mel
TEST_BIN := $(foreach t,$(TEST_SRC),$(BUILD)/tests/$(subst /test_,_,$(patsubst tests/%.c,%,$(t))))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
TOOL_BIN := $(TOOL_SRC:tools/%.c=$(BUILD)/tools/%)

TALE_BIN := $(if $(filter build,$(BUILD)),tale,$(BUILD)/tale)

.PHONY: ctc-model all test check asan deps corpus models data demo lm bench clean tests-build install \
        fuzz fuzz-build
.DEFAULT_GOAL := all

all: $(TALE_BIN) $(BUILD)/libtale.a $(SOLIB) tests-build $(BENCH_BIN) $(TOOL_BIN)

# objects are rebuilt when the compiler or its flags change
FLAGS_STAMP := $(BUILD)/.cflags
FLAGS_NOW := $(CC) $(CPPFLAGS) $(CFLAGS)
ifneq ($(file < $(FLAGS_STAMP)),$(FLAGS_NOW))
$(shell mkdir -p $(BUILD))
$(file > $(FLAGS_STAMP),$(FLAGS_NOW))
endif

$(BUILD)/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libtale.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BENCHLIB): $(BENCHLIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# the shared library: soname libtale.so.0, exports only TALE_API symbols
$(SOLIB): $(LIB_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined -o $@ $(LIB_OBJ) $(LDLIBS)
	ln -sf $(notdir $@) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libtale.so

$(BUILD)/obj/server/%.o $(BUILD)/tests/serve_serve $(BUILD)/bench/bench_serve: CFLAGS += $(LWS_CFLAGS)
$(TALE_BIN) $(BUILD)/tests/serve_serve $(BUILD)/bench/bench_serve: LDLIBS += $(LWS_LIBS)
$(TALE_BIN): $(CLI_OBJ) $(SERVER_OBJ) $(BENCHLIB) $(BUILD)/libtale.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(SERVER_OBJ) $(BENCHLIB) $(BUILD)/libtale.a $(LDLIBS)

# the dictation page of tale serve, compiled into the program (server/web_assets.h); the
# folder is a prerequisite so that adding or removing a file regenerates the list
WEB_SRC := $(sort $(wildcard server/web/*))
WEB_OBJ := $(BUILD)/obj/gen/web_assets.o
$(BUILD)/gen/web_assets.c: $(WEB_SRC) server/web scripts/embed_web.sh
	@mkdir -p $(dir $@)
	sh scripts/embed_web.sh $@ $(WEB_SRC)

$(WEB_OBJ): $(BUILD)/gen/web_assets.c server/web_assets.h $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Iserver $(CFLAGS) -c $< -o $@

tests-build: $(TEST_BIN)

# one explicit rule per test: tests/asr/test_mel.c -> $(BUILD)/tests/asr_mel
# tests/fault/*: every allocation libtale makes goes through the test's hooks
WRAP_ALLOC := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=posix_memalign,--wrap=strdup,--wrap=strndup
define TEST_RULE
$(BUILD)/tests/$(2): $(1) $(SUP_OBJ) $(BENCHLIB) $(BUILD)/libtale.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CPPFLAGS) -Itests/support $$(CFLAGS) $$(CMOCKA_CFLAGS) $$(LDFLAGS) $(if $(filter fault_%,$(2)),$$(WRAP_ALLOC)) -o $$@ $$< $$(SUP_OBJ) $$(BENCHLIB) $$(BUILD)/libtale.a $$(CMOCKA_LIBS) $$(LDLIBS)
endef
$(foreach t,$(TEST_SRC),$(eval $(call TEST_RULE,$(t),$(subst /test_,_,$(patsubst tests/%.c,%,$(t))))))

$(BUILD)/bench/%: bench/%.c $(BENCHLIB) $(BUILD)/libtale.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BENCHLIB) $(BUILD)/libtale.a $(LDLIBS)

$(BUILD)/tools/%: tools/%.c $(BENCHLIB) $(BUILD)/libtale.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BENCHLIB) $(BUILD)/libtale.a $(LDLIBS)

deps:
	@sh scripts/deps.sh

corpus:
	@sh scripts/fetch_data.sh corpus

models:
	@sh scripts/fetch_data.sh models

data: corpus models

# Each of test/demo does the whole setup on a fresh machine: Debian
# packages, data (../shared, else downloads), build, every test.
test: deps
	@FETCH_LENIENT=1 $(MAKE) --no-print-directory data
	@$(MAKE) --no-print-directory check

# Every test, with neither apt-get nor the network (packagers, other
# distributions): data is linked from ../shared when it is there (and the
# demo model's word LM built from it, 3 s); the tests that need what is
# missing skip and say why.
check:
	@FETCH_LENIENT=1 FETCH_OFFLINE=1 $(MAKE) --no-print-directory data
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory lm
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

# libFuzzer targets for every file format tale reads (fuzz/README.md): libtale
# built with clang + ASan/UBSan + coverage into build-fuzz, then each target
# run for FUZZ_SECONDS on fuzz/seeds/<target>; one summary line per target.
FUZZ_SECONDS ?= 60
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_LIB := fuzz/common.c fuzz/models.c tests/support/tt_ctc_model.c
fuzz:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang OPT=-O1 \
	    SAN="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" fuzz-build
	@sh scripts/run_fuzz.sh build-fuzz $(FUZZ_SECONDS)

fuzz-build: $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%) $(BUILD)/fuzz/make_seeds

$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c $(wildcard fuzz/*.h) $(FUZZ_LIB) $(BUILD)/libtale.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ifuzz -Itests/support $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< \
	    $(FUZZ_LIB) $(BUILD)/libtale.a $(LDLIBS)

# Writes the committed seeds: make BUILD=build-fuzz ... fuzz-build, then
# build-fuzz/fuzz/make_seeds fuzz/seeds
$(BUILD)/fuzz/make_seeds: fuzz/make_seeds.c $(wildcard fuzz/*.h) $(FUZZ_LIB) $(BUILD)/libtale.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ifuzz -Itests/support $(CFLAGS) $(LDFLAGS) -o $@ $< $(FUZZ_LIB) \
	    $(BUILD)/libtale.a $(LDLIBS)

# Rebuild the committed demo acoustic model from scratch (about an hour of CPU; resumable).
ctc-model:
	@sh models/ctc/train.sh

# make install PREFIX=/usr DESTDIR=stage: the program, libtale.a and
# libtale.so.$(SOMAJOR), the public headers, tale.pc, and the small data files
# under $(SHAREDIR): the default CTC model, the NLP models, the model registry,
# and (when present in data/) the LM, the Silero VAD model, the Whisper
# tokenizer assets and the first-name lists the redactor reads.
PUBLIC_HEADERS := $(sort $(wildcard core/tale*.h corpus/tale*.h nlp/tale*.h asr/tale*.h \
                   asr/*/tale*.h pipeline/tale*.h))
install: $(TALE_BIN) $(BUILD)/libtale.a $(SOLIB)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/tale \
	    $(DESTDIR)$(SHAREDIR)/models/tale-da-ctc-small $(DESTDIR)$(SHAREDIR)/models/nlp
	install -m 755 $(TALE_BIN) $(DESTDIR)$(PREFIX)/bin/tale
	install -m 644 $(BUILD)/libtale.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SOLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SOLIB)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libtale.so
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCDIR)/tale/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' scripts/tale.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/tale.pc
	install -m 644 models/registry.tsv $(DESTDIR)$(SHAREDIR)/models/
	install -m 644 models/tale-da-ctc-small/config.json models/tale-da-ctc-small/vocab.json \
	    models/tale-da-ctc-small/model.safetensors $(DESTDIR)$(SHAREDIR)/models/tale-da-ctc-small/
	install -m 644 models/nlp/*.tnlp $(DESTDIR)$(SHAREDIR)/models/nlp/
	@for f in data/models/lm/tale-da-3gram.tlm data/models/silero-vad-v6.2.0-ggml.bin \
	          data/models/whisper-assets/multilingual.tiktoken data/models/whisper-assets/mel_80.f32 \
	          data/models/whisper-assets/mel_128.f32 data/corpus/names/FirstNames_2021_F.utf8.tsv \
	          data/corpus/names/FirstNames_2021_M.utf8.tsv; do \
	    if [ -e "$$f" ]; then \
	        install -d "$(DESTDIR)$(SHAREDIR)/$$(dirname $$f)" && \
	        install -m 644 "$$f" "$(DESTDIR)$(SHAREDIR)/$$f" && echo "install: $$f"; \
	    else echo "install: $$f not built or linked here: skipped (make lm / make corpus models)"; fi; \
	done

clean:
	rm -rf build build-asan tale

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
