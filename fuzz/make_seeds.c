/* make_seeds.c — writes the fuzz targets' seed corpora.
 *
 *   build-fuzz/fuzz/make_seeds fuzz/seeds           the committed seeds
 *   build-fuzz/fuzz/make_seeds --big DIR            larger valid models
 *
 * Everything is made here from tale's own writers and hand-written text:
 * no file of ../shared is copied.  Committed seeds stay below 100 KB per
 * target; the complete ggml Whisper and Silero VAD files (420 KB, 620 KB)
 * and the NLP models go to --big, which scripts/run_fuzz.sh writes into the
 * working corpora (build-fuzz/corpus) before each run. */
#include "common.h"
#include "hf.h"
#include "models.h"
#include "tale_corpus.h"
#include "tale_json.h"
#include "tale_nlp.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *g_out;

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "make_seeds: %s: %s\n", what, msg);
    exit(1);
}

static const char *seed_path(const char *target, const char *name)
{
    static char p[4][1024];
    static int slot;
    char *b = p[slot++ & 3];
    snprintf(b, sizeof p[0], "%s/%s", g_out, target);
    if (mkdir(b, 0777) != 0 && errno != EEXIST)
        die(b, strerror(errno));
    snprintf(b, sizeof p[0], "%s/%s/%s", g_out, target, name);
    return b;
}

static void put(const char *target, const char *name, const void *data, size_t n)
{
    const char *p = seed_path(target, name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0)
        die(p, "write failed");
}

static void put_str(const char *target, const char *name, const char *s)
{
    put(target, name, s, strlen(s));
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)sz + 1);
    if (!b || fread(b, 1, (size_t)sz, f) != (size_t)sz)
        die(path, "read failed");
    fclose(f);
    b[sz] = 0;
    *n = (size_t)sz;
    return b;
}

static void copy_file(const char *from, const char *target, const char *name)
{
    size_t n;
    char *b = slurp(from, &n);
    put(target, name, b, n);
    free(b);
}

/* ---- text formats ------------------------------------------------------- */

static void json_seeds(void)
{
    static const char *const docs[] = {
        "{\"d_model\": 384, \"encoder_layers\": 4, \"vocab_size\": 51865, \"name\": \"lille\"}",
        "[1, -2.5e-3, 0, -0, 1e308, 123456789012345678, true, false, null, \"\"]",
        "{\"a\": {\"b\": [[], {}, [[[\"dyb\"]]]]}, \"a\": \"igen\"}",
        "\"\\u00e6bler \\u00f8l \\u00e5 \\ud83d\\ude00 \\\" \\\\ \\/ \\b\\f\\n\\r\\t\\u0000\"",
        "\xef\xbb\xbf{\"bom\": \"æøå ÆØÅ – “citat”\"}",
        "  \n\t{ \"tomt\" : [ ] , \"x\" : { } }  \n",
        ("{\"suppress_tokens\": [1, 2, 7], \"lang_to_id\": {\"<|da|>\": 50285}, "
         "\"alignment_heads\": [[0, 0]], \"begin_suppress_tokens\": null}"),
        "-0.000001E+2",
        "[\"\\ud800\"]",
        "{\"x\": 1,}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "doc%02zu.json", i);
        put_str("json", name, docs[i]);
    }
}

static const char CONLLU[] =
    "# newdoc id = fuzz\n"
    "# sent_id = fuzz-1\n"
    "# text = Mette købte æbler på Torvehallerne i går.\n"
    "1\tMette\tMette\tPROPN\t_\t_\t2\tnsubj\t_\t_\n"
    "2\tkøbte\tkøbe\tVERB\t_\tMood=Ind|Tense=Past|VerbForm=Fin|Voice=Act\t0\troot\t_\t_\n"
    "3\tæbler\tæble\tNOUN\t_\tDefinite=Ind|Gender=Com|Number=Plur\t2\tobj\t_\t_\n"
    "4\tpå\tpå\tADP\t_\tAdpType=Prep\t5\tcase\t_\t_\n"
    "5\tTorvehallerne\tTorvehallerne\tPROPN\t_\t_\t2\tobl\t_\t_\n"
    "6\ti\ti\tADP\t_\tAdpType=Prep\t7\tcase\t_\t_\n"
    "7\tgår\tgår\tADV\t_\t_\t2\tadvmod\t_\tSpaceAfter=No\n"
    "8\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_\n"
    "\n"
    "# sent_id = fuzz-2\n"
    "# text = Han ved det ikke.\n"
    "1\tHan\than\tPRON\t_\tCase=Nom|Gender=Com|Number=Sing|Person=3|PronType=Prs\t2\tnsubj\t_\t_\n"
    "2\tved\tvide\tVERB\t_\tMood=Ind|Tense=Pres|VerbForm=Fin|Voice=Act\t0\troot\t_\t_\n"
    "3\tdet\tdet\tPRON\t_\tGender=Neut|Number=Sing|PronType=Prs\t2\tobj\t_\t_\n"
    "4\tikke\tikke\tADV\t_\t_\t2\tadvmod\t_\tSpaceAfter=No\n"
    "5\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_\n"
    "\n"
    "# sent_id = fuzz-3\n"
    "# text = De gode huse står tomme.\n"
    "1\tDe\tden\tDET\t_\tDefinite=Def|Number=Plur|PronType=Dem\t3\tdet\t_\t_\n"
    "2\tgode\tgod\tADJ\t_\tDefinite=Def|Degree=Pos|Number=Plur\t3\tamod\t_\t_\n"
    "3\thuse\thus\tNOUN\t_\tDefinite=Ind|Gender=Neut|Number=Plur\t4\tnsubj\t_\t_\n"
    "4\tstår\tstå\tVERB\t_\tMood=Ind|Tense=Pres|VerbForm=Fin|Voice=Act\t0\troot\t_\t_\n"
    "5\ttomme\ttom\tADJ\t_\tDegree=Pos|Number=Plur\t4\txcomp\t_\tSpaceAfter=No\n"
    "6\t.\t.\tPUNCT\t_\t_\t4\tpunct\t_\t_\n"
    "\n"
    "# sent_id = fuzz-4\n"
    "# text = Peter Hansen bor i Aarhus og arbejder for Novo Nordisk.\n"
    "1\tPeter\tPeter\tPROPN\t_\t_\t3\tnsubj\t_\t_\n"
    "2\tHansen\tHansen\tPROPN\t_\t_\t1\tflat\t_\t_\n"
    "3\tbor\tbo\tVERB\t_\tMood=Ind|Tense=Pres|VerbForm=Fin|Voice=Act\t0\troot\t_\t_\n"
    "4\ti\ti\tADP\t_\tAdpType=Prep\t5\tcase\t_\t_\n"
    "5\tAarhus\tAarhus\tPROPN\t_\t_\t3\tobl\t_\t_\n"
    "6\tog\tog\tCCONJ\t_\t_\t7\tcc\t_\t_\n"
    "7\tarbejder\tarbejde\tVERB\t_\tMood=Ind|Tense=Pres|VerbForm=Fin|Voice=Act\t3\tconj\t_\t_\n"
    "8\tfor\tfor\tADP\t_\tAdpType=Prep\t9\tcase\t_\t_\n"
    "9\tNovo\tNovo\tPROPN\t_\t_\t7\tobl\t_\t_\n"
    "10\tNordisk\tNordisk\tPROPN\t_\t_\t9\tflat\t_\tSpaceAfter=No\n"
    "11\t.\t.\tPUNCT\t_\t_\t3\tpunct\t_\t_\n"
    "\n";

static const char CONLLU_RANGES[] =
    "# sent_id = ranges\n"
    "1-2\tVed'ikke\t_\t_\t_\t_\t_\t_\t_\t_\n"
    "1\tVed\tvide\tVERB\t_\t_\t0\troot\t_\t_\n"
    "2\tikke\tikke\tADV\t_\t_\t1\tadvmod\t_\tFoo=Bar|SpaceAfter=No\n"
    "2.1\tx\tx\tX\t_\t_\t_\t_\t_\t_\n"
    "\n";

static const char IOB_DANPLUS[] =
    "Peter\tB-PER\tO\n"
    "Hansen\tI-PER\tO\n"
    "bor\tO\tO\n"
    "i\tO\tO\n"
    "Aarhus\tB-LOC\tB-LOC\n"
    "og\tO\tO\n"
    "arbejder\tO\tO\n"
    "for\tO\tO\n"
    "Novo\tB-ORG\tO\n"
    "Nordisk\tI-ORG\tO\n"
    ".\tO\tO\n"
    "\n"
    "Danske\tB-LOCderiv\tO\n"
    "Bank\tB-ORG\tO\n"
    "åbner\tO\tO\n"
    "i\tO\tO\n"
    "Odense\tB-LOC\tO\n"
    "\n";

static const char IOB_UNER[] =
    "# sent_id = uner-1\n"
    "# text = Mette Frederiksen talte i Folketinget.\n"
    "1\tMette\tB-PER\t-\t-\n"
    "2\tFrederiksen\tI-PER\t-\t-\n"
    "3\ttalte\tO\t-\t-\n"
    "4\ti\tO\t-\t-\n"
    "5\tFolketinget\tB-ORG\t-\t-\n"
    "6\t.\tO\t-\t-\n"
    "\n";

static const char IOB_ENTITIES[] =
    "Mette B-PER\nFrederiksen I-PER\nbesøgte O\nKøbenhavn B-LOC\nog O\nMaersk B-ORG\n. O\n\n"
    "Det O\nvar O\nEM B-MISC\ni O\nfodbold O\n\n";

static const char *const SENTENCES =
    "der var engang en mand\n"
    "han boede i en spand\n"
    "og spanden var blå\n"
    "der var engang en kone\n"
    "hun havde en mand og en spand\n"
    "den blå spand var hans\n";

static tale_lm *build_lm(int order)
{
    tale_lm_build_params p = tale_lm_build_default_params();
    p.order = order;
    tale_lm_builder *b;
    tale_lm *lm = NULL;
    tale_error e;
    if (tale_lm_builder_new(&p, &b, &e) != TALE_OK ||
        tale_lm_builder_add_text(b, SENTENCES, strlen(SENTENCES), &e) != TALE_OK ||
        tale_lm_builder_finish(b, &lm, &e) != TALE_OK)
        die("lm", e.msg);
    tale_lm_builder_free(b);
    return lm;
}

static void lm_seeds(void)
{
    tale_error e;
    for (int order = 1; order <= 3; order += 2) {
        tale_lm *lm = build_lm(order);
        char name[32];
        snprintf(name, sizeof name, "order%d.arpa", order);
        if (tale_lm_write_arpa(lm, seed_path("lm", name), &e) != TALE_OK)
            die("lm", e.msg);
        snprintf(name, sizeof name, "order%d.tlm", order);
        if (tale_lm_write_binary(lm, seed_path("lm", name), &e) != TALE_OK)
            die("lm", e.msg);
        tale_lm_free(lm);
    }
    put_str("lm", "kenlm.arpa",
            "KenLM-style header line\n\n\\data\\\nngram 1=4\nngram 2=2\n\n"
            "\\1-grams:\n-1.0\t<unk>\t0\n-99\t<s>\t-0.30103\n-0.5\t</s>\n-0.6\thej\t-0.2\n\n"
            "\\2-grams:\n-0.1\t<s> hej\n-0.2\thej </s>\n\\end\\\n");
}

static void text_seeds(void)
{
    json_seeds();
    put_str("conllu", "sentences.conllu", CONLLU);
    put_str("conllu", "ranges.conllu", CONLLU_RANGES);
    put_str("iob", "danplus.tsv", IOB_DANPLUS);
    put_str("iob", "uner.iob2", IOB_UNER);
    put_str("iob", "spaces.iob", IOB_ENTITIES);
    lm_seeds();
}

/* ---- audio ---------------------------------------------------------------- */

static void audio_one(const char *name, int format, int rate, int channels, double seconds)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = rate;
    info.channels = channels;
    info.format = format;
    const char *p = seed_path("audio", name);
    SNDFILE *sf = sf_open(p, SFM_WRITE, &info);
    if (!sf) {
        fprintf(stderr, "make_seeds: %s: %s (skipped)\n", p, sf_strerror(NULL));
        remove(p);
        return;
    }
    sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE); /* it holds a time stamp */
    sf_count_t n = (sf_count_t)(seconds * rate);
    float *x = malloc((size_t)n * channels * sizeof *x);
    if (!x)
        die(p, "out of memory");
    for (sf_count_t i = 0; i < n; i++)
        for (int c = 0; c < channels; c++)
            x[i * channels + c] = 0.4f * sinf(6.2831853f * (220.0f + 110.0f * c) *
                                             (float)i / (float)rate);
    if (sf_writef_float(sf, x, n) != n)
        die(p, sf_strerror(sf));
    free(x);
    sf_close(sf);
}

static void audio_seeds(void)
{
    audio_one("s16-16k.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 0.05);
    audio_one("u8-8k-stereo.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 8000, 2, 0.05);
    audio_one("f32-22k.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 22050, 1, 0.03);
    audio_one("s24-44k-stereo.wavex", SF_FORMAT_WAVEX | SF_FORMAT_PCM_24, 44100, 2, 0.02);
    audio_one("ulaw-8k.wav", SF_FORMAT_WAV | SF_FORMAT_ULAW, 8000, 1, 0.05);
    audio_one("ima-adpcm-16k.wav", SF_FORMAT_WAV | SF_FORMAT_IMA_ADPCM, 16000, 1, 0.05);
    audio_one("s16-16k.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16000, 1, 0.1);
    audio_one("vorbis-16k.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 16000, 1, 0.1);
    audio_one("opus-48k.opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000, 1, 0.06);
    audio_one("s16-48k.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 48000, 1, 0.02);
    audio_one("alaw-8k.au", SF_FORMAT_AU | SF_FORMAT_ALAW, 8000, 1, 0.05);
    audio_one("s16-16k.caf", SF_FORMAT_CAF | SF_FORMAT_PCM_16, 16000, 1, 0.03);
    audio_one("gsm-8k.wav", SF_FORMAT_WAV | SF_FORMAT_GSM610, 8000, 1, 0.1);
    audio_one("mp3-16k.mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 16000, 1, 0.2);
    /* truncated: the header promises more data than the file holds */
    size_t n;
    char *w = slurp(seed_path("audio", "s16-16k.wav"), &n);
    put("audio", "truncated.wav", w, n / 2);
    free(w);
}

/* ---- models ----------------------------------------------------------------- */

static char *ggml_bytes(size_t *n)
{
    char *b = NULL;
    FILE *f = open_memstream(&b, n);
    if (!f || fuzz_write_ggml_model(f) != 0 || fclose(f) != 0)
        die("ggml", "write failed");
    return b;
}

/* Offset of the tensor record whose name is name (2-D: 5 ints before it). */
static size_t tensor_record(const char *b, size_t n, const char *name, int n_dims)
{
    const char *p = memmem(b, n, name, strlen(name));
    if (!p)
        die("ggml", name);
    return (size_t)(p - b) - 4 * (3 + (size_t)n_dims);
}

static void ggml_seeds(int big)
{
    size_t n;
    char *b = ggml_bytes(&n);
    if (big) {
        put("ggml", "whole.bin", b, n);
        free(b);
        return;
    }
    const char *emb = "decoder.token_embedding.weight";
    size_t at = tensor_record(b, n, emb, 2);
    size_t end = at + 4 * 5 + strlen(emb) + 51865 * 4 * 2; /* f16 [51865][4] */
    /* header, mel filters, vocabulary and the encoder: ends before the decoder */
    put("ggml", "encoder-only.bin", b, at);
    /* everything but the 400 KB token embedding */
    char *c = malloc(n);
    if (!c)
        die("ggml", "out of memory");
    memcpy(c, b, at);
    memcpy(c + at, b + end, n - end);
    put("ggml", "no-embedding.bin", c, at + (n - end));
    free(c);
    /* up to the first tensor: header, mels, vocab */
    put("ggml", "header-vocab.bin", b, tensor_record(b, n, "encoder.positional_embedding", 2));
    free(b);
}

static void vad_seeds(int big)
{
    size_t n;
    unsigned char *b = fuzz_vad_model(&n, !big);
    if (!b)
        die("vad", "out of memory");
    if (big) {
        put("vad", "whole.bin", b, n);
    } else {
        put("vad", "small-tensors.bin", b, n);
        put("vad", "header.bin", b, 4 * 24 + 10);
    }
    free(b);
}

static const char *tmpdir(const char *name)
{
    static char p[1024];
    snprintf(p, sizeof p, "%s", fuzz_mkdir(name));
    return p;
}

static void ctc_seeds(void)
{
    const char *dir = tmpdir("ctc");
    if (fuzz_write_ctc_model(dir) != 0)
        die(dir, "cannot write the CTC model");
    char p[1100];
    snprintf(p, sizeof p, "%s/config.json", dir);
    copy_file(p, "ctc_config", "config.json");
    copy_file(p, "json", "ctc-config.json");
    size_t n;
    char *cfg = slurp(p, &n);
    /* the same with a "decoder" block */
    char *brace = strrchr(cfg, '}');
    if (brace) {
        *brace = 0;
        char *d = NULL;
        size_t dn;
        FILE *f = open_memstream(&d, &dn);
        fprintf(f, "%s,\"decoder\":{\"beam_width\":64,\"lm_alpha\":0.7,\"lm_beta\":3,"
                   "\"unk_penalty\":-5,\"unk_char_penalty\":-3,\"lm\":\"da-3gram.arpa\"}}\n", cfg);
        fclose(f);
        put("ctc_config", "with-decoder.json", d, dn);
        free(d);
    }
    free(cfg);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    copy_file(p, "safetensors", "ctc-model.safetensors");
    /* a small one with every dtype, a scalar and metadata (fails: not a CTC model) */
    static const char hdr[] =
        "{\"__metadata__\":{\"format\":\"pt\"},"
        "\"a\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[8,14]},"
        "\"c\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[16,20]}}  ";
    unsigned char st[8 + sizeof hdr - 1 + 20];
    uint64_t hl = sizeof hdr - 1;
    memcpy(st, &hl, 8);
    memcpy(st + 8, hdr, hl);
    for (size_t i = 0; i < 20; i++)
        st[8 + hl + i] = (unsigned char)(i * 37);
    put("safetensors", "dtypes.safetensors", st, sizeof st);
}

/* The first n members of a JSON object, rewritten. */
static void json_head(const tale_jval *obj, size_t n, tale_json *j)
{
    tale_json_obj_begin(j);
    for (size_t i = 0; i < n && i < tale_jval_len(obj); i++) {
        const tale_jval *v;
        const char *k = tale_jobj_key_at(obj, i, &v);
        long long id;
        tale_json_key(j, k);
        if (tale_jval_int(v, &id))
            tale_json_int(j, id);
        else
            tale_json_null(j);
    }
}

static void hf_seeds(void)
{
    const char *dir = tmpdir("hf");
    if (fuzz_write_hf_model(dir, 0) != 0)
        die(dir, "cannot write the Hugging Face model");
    char p[1100];
    snprintf(p, sizeof p, "%s/config.json", dir);
    copy_file(p, "hf_config", "config.json");
    snprintf(p, sizeof p, "%s/generation_config.json", dir);
    copy_file(p, "hf_generation", "generation_config.json");
    copy_file(p, "json", "generation-config.json");
    /* vocab.json (about 700 KB) cut to its first 400 tokens plus specials */
    snprintf(p, sizeof p, "%s/vocab.json", dir);
    tale_jval *v;
    tale_error e;
    if (tale_json_parse_file(p, &v, &e) != TALE_OK)
        die(p, e.msg);
    for (int tok = 0; tok < 2; tok++) {
        char *d = NULL;
        size_t dn;
        FILE *f = open_memstream(&d, &dn);
        tale_json *j = tale_json_writer_new(f, 0);
        if (tok) {
            tale_json_obj_begin(j);
            tale_json_key(j, "model");
            tale_json_obj_begin(j);
            tale_json_key(j, "type");
            tale_json_str(j, "BPE");
            tale_json_key(j, "vocab");
        }
        json_head(v, 400, j);
        if (!tok) {
            tale_json_key(j, "<|endoftext|>");
            tale_json_int(j, 50257);
        }
        tale_json_obj_end(j);
        if (tok) {
            tale_json_obj_end(j);
            tale_json_key(j, "added_tokens");
            tale_json_arr_begin(j);
            static const char *const sp[] = {"<|endoftext|>", "<|startoftranscript|>", "<|da|>",
                                             "<|notimestamps|>"};
            static const int id[] = {50257, 50258, 50285, 50363};
            for (int i = 0; i < 4; i++) {
                tale_json_obj_begin(j);
                tale_json_key(j, "id");
                tale_json_int(j, id[i]);
                tale_json_key(j, "content");
                tale_json_str(j, sp[i]);
                tale_json_obj_end(j);
            }
            tale_json_arr_end(j);
            tale_json_obj_end(j);
        }
        tale_json_writer_free(j);
        fclose(f);
        put(tok ? "hf_tokenizer" : "hf_vocab", tok ? "tokenizer-head.json" : "vocab-head.json",
            d, dn);
        free(d);
    }
    tale_jval_free(v);
}

/* ---- NLP models --------------------------------------------------------------- */

static void nlp_seeds(void)
{
    tale_conllu *c;
    tale_error e;
    if (tale_conllu_parse(CONLLU, sizeof CONLLU - 1, "seed", &c, &e) != TALE_OK)
        die("conllu", e.msg);
    tale_tagger_train_params tp = tale_tagger_train_default_params();
    tp.epochs = 2;
    tp.lemma_epochs = 2;
    tp.use_hunspell = 0;
    if (tale_tagger_train(c, c, &tp, seed_path("tagger", "tiny.tnlp"), NULL, &e) != TALE_OK)
        die("tagger", e.msg);
    tp.two_pass = 0;
    if (tale_tagger_train(c, c, &tp, seed_path("tagger", "one-pass.tnlp"), NULL, &e) != TALE_OK)
        die("tagger", e.msg);
    tale_conllu_free(c);
    tale_iob *d;
    if (tale_iob_parse(IOB_ENTITIES, sizeof IOB_ENTITIES - 1, "seed", 0, 0, &d, &e) != TALE_OK)
        die("iob", e.msg);
    tale_ner_train_params np = tale_ner_train_default_params();
    np.epochs = 2;
    np.use_hunspell = 0;
    if (tale_ner_train(d, d, &np, seed_path("ner", "tiny.tnlp"), NULL, &e) != TALE_OK)
        die("ner", e.msg);
    tale_iob_free(d);
}

int main(int argc, char **argv)
{
    const char *big = NULL;
    if (argc == 3 && strcmp(argv[1], "--big") == 0) {
        big = argv[2];
    } else if (argc != 2) {
        fprintf(stderr, "usage: make_seeds OUT_DIR | make_seeds --big DIR\n");
        return 2;
    }
    g_out = big ? big : argv[1];
    if (mkdir(g_out, 0777) != 0 && errno != EEXIST)
        die(g_out, strerror(errno));
    if (big) { /* only the files too big to commit */
        ggml_seeds(1);
        vad_seeds(1);
        return 0;
    }
    text_seeds();
    audio_seeds();
    ggml_seeds(0);
    vad_seeds(0);
    ctc_seeds();
    hf_seeds();
    nlp_seeds();
    return 0;
}
