/*
 * hf_tokenizer.c — Whisper's byte-level BPE vocabulary in Hugging Face
 * files: vocab.json (+ merges.txt) or tokenizer.json, read into the
 * engine's asr_vocab (regular tokens, ids 0..50256), and written back.
 *
 * HF stores each token as text through GPT-2's byte↔unicode table: the
 * printable bytes '!'..'~', '¡'..'¬', '®'..'ÿ' stand for themselves and the
 * other 68 bytes map to U+0100.. in byte order.  Whisper's BPE ranks are
 * the token ids (tiktoken), so merges.txt carries no extra information for
 * decoding; when writing we derive it from the ids so that HF's own
 * tokenizer reproduces the same splits.
 */
#include "hf.h"
#include "whisper_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define N_TEXT 50257

/* byte → code point, and code point (< 512) → byte + 1 (0 = none) */
static void byte_tables(uint16_t b2u[256], uint16_t u2b[512])
{
    int n = 0;
    memset(u2b, 0, 512 * sizeof *u2b);
    for (int b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
        b2u[b] = (uint16_t)(printable ? b : 256 + n++);
        u2b[b2u[b]] = (uint16_t)(b + 1);
    }
}

/* HF token text → raw bytes; 0 on a character outside the table. */
static int decode_token(const char *s, size_t n, const uint16_t u2b[512], char *out, size_t *len)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned c = (unsigned char)s[i];
        unsigned cp;
        if (c < 0x80) {
            cp = c;
            i++;
        } else if ((c & 0xE0) == 0xC0 && i + 1 < n) {
            cp = (c & 0x1F) << 6 | ((unsigned char)s[i + 1] & 0x3F);
            i += 2;
        } else {
            return 0; /* the table only uses code points below U+0800 */
        }
        if (cp >= 512 || !u2b[cp])
            return 0;
        out[o++] = (char)(u2b[cp] - 1);
    }
    *len = o;
    return 1;
}

static size_t encode_token(const char *b, size_t n, const uint16_t b2u[256], char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned cp = b2u[(unsigned char)b[i]];
        if (cp < 0x80) {
            out[o++] = (char)cp;
        } else {
            out[o++] = (char)(0xC0 | cp >> 6);
            out[o++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    out[o] = 0;
    return o;
}

static int file_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Checks one special token's id against the Whisper layout. */
static tale_status check_special(const char *file, const char *content, long long id,
                                 const asr_specials *sp, tale_error *err)
{
    static const char *names[] = {"<|endoftext|>", "<|startoftranscript|>", "<|translate|>",
                                  "<|transcribe|>", "<|startoflm|>", "<|startofprev|>",
                                  "<|nospeech|>", "<|nocaptions|>", "<|notimestamps|>",
                                  "<|0.00|>", "<|da|>", "<|en|>"};
    const int want[] = {sp->eot, sp->sot, sp->translate, sp->transcribe, sp->sot_lm,
                        sp->sot_prev, sp->no_speech, sp->no_speech, sp->no_timestamps,
                        sp->ts_begin, sp->lang_first + 26, sp->lang_first};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(content, names[i]) == 0 && id != want[i])
            return tale_error_set(err, TALE_UNSUPPORTED,
                                  "%s: special token %s has id %lld, the Whisper layout for this "
                                  "vocabulary size puts it at %d",
                                  file, content, id, want[i]);
    return TALE_OK;
}

/* Fill v from a token→id object; ids ≥ 50257 must be specials. */
static tale_status fill_vocab(const char *file, const tale_jval *vocab, const asr_specials *sp,
                              asr_vocab *v, tale_error *err)
{
    uint16_t b2u[256], u2b[512];
    byte_tables(b2u, u2b);
    unsigned char *seen = calloc(N_TEXT, 1);
    if (!seen)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", file);
    tale_status st = TALE_OK;
    char buf[1100];
    size_t n = tale_jval_len(vocab);
    int n_seen = 0;
    for (size_t i = 0; i < n; i++) {
        const tale_jval *idv;
        const char *tok = tale_jobj_key_at(vocab, i, &idv);
        long long id;
        if (!tale_jval_int(idv, &id) || id < 0) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: token '%.40s' has no valid id", file, tok);
            break;
        }
        if (id >= N_TEXT) {
            if ((st = check_special(file, tok, id, sp, err)) != TALE_OK)
                break;
            continue;
        }
        size_t len;
        size_t tl = strlen(tok);
        if (tl > 1024 || !decode_token(tok, tl, u2b, buf, &len)) {
            st = tale_error_set(err, TALE_BAD_MODEL,
                                "%s: token %lld '%.40s' is not byte-level BPE text", file, id, tok);
            break;
        }
        if (seen[id]) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: id %lld used twice", file, id);
            break;
        }
        seen[id] = 1;
        n_seen++;
        if ((st = asr_vocab_set(v, (int)id, buf, len, err)) != TALE_OK)
            break;
    }
    /* Whisper's own table has one empty token (50256); tolerate a few gaps
     * (they decode to nothing) but not a different vocabulary. */
    if (st == TALE_OK && n_seen < N_TEXT - 16) {
        int missing = 0;
        while (missing < N_TEXT && seen[missing])
            missing++;
        st = tale_error_set(err, TALE_BAD_MODEL,
                            "%s: %d of the 50257 regular tokens (first missing id %d): not a "
                            "multilingual Whisper vocabulary",
                            file, n_seen, missing);
    }
    free(seen);
    return st;
}

tale_status asr_hf_tokenizer_read(const char *dir, int n_vocab, asr_vocab **out, tale_error *err)
{
    *out = NULL;
    char vj[1024], mt[1024], tj[1024], at[1024];
    snprintf(vj, sizeof vj, "%s/vocab.json", dir);
    snprintf(mt, sizeof mt, "%s/merges.txt", dir);
    snprintf(tj, sizeof tj, "%s/tokenizer.json", dir);
    snprintf(at, sizeof at, "%s/added_tokens.json", dir);
    asr_specials sp;
    asr_whisper_specials(n_vocab, &sp);
    asr_vocab *v = asr_vocab_new(N_TEXT);
    if (!v)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", dir);
    tale_jval *doc = NULL;
    tale_status st;
    if (file_exists(tj)) {
        /* tokenizer.json: model.vocab + added_tokens[{id, content}] */
        if ((st = tale_json_parse_file(tj, &doc, err)) != TALE_OK)
            goto fail;
        const tale_jval *model = tale_jobj_get(doc, "model");
        const char *type = tale_jval_str(tale_jobj_get(model, "type"));
        const tale_jval *vocab = tale_jobj_get(model, "vocab");
        if (tale_jval_type(vocab) != TALE_JOBJ || (type && strcmp(type, "BPE") != 0)) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: no BPE model.vocab object", tj);
            goto fail;
        }
        if ((st = fill_vocab(tj, vocab, &sp, v, err)) != TALE_OK)
            goto fail;
        const tale_jval *added = tale_jobj_get(doc, "added_tokens");
        for (size_t i = 0; i < tale_jval_len(added); i++) {
            const tale_jval *a = tale_jarr_at(added, i);
            long long id;
            const char *content = tale_jval_str(tale_jobj_get(a, "content"));
            if (!content || !tale_jval_int(tale_jobj_get(a, "id"), &id)) {
                st = tale_error_set(err, TALE_BAD_MODEL, "%s: added_tokens[%zu] lacks id/content",
                                    tj, i);
                goto fail;
            }
            if (id >= n_vocab) {
                st = tale_error_set(err, TALE_UNSUPPORTED,
                                    "%s: added token %s has id %lld beyond the model's %d", tj,
                                    content, id, n_vocab);
                goto fail;
            }
            if ((st = check_special(tj, content, id, &sp, err)) != TALE_OK)
                goto fail;
        }
    } else if (file_exists(vj)) {
        if (!file_exists(mt)) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: vocab.json without merges.txt", dir);
            goto fail;
        }
        if ((st = tale_json_parse_file(vj, &doc, err)) != TALE_OK)
            goto fail;
        if (tale_jval_type(doc) != TALE_JOBJ) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: not a JSON object", vj);
            goto fail;
        }
        if ((st = fill_vocab(vj, doc, &sp, v, err)) != TALE_OK)
            goto fail;
        if (file_exists(at)) { /* optional: special tokens → ids */
            tale_jval_free(doc);
            doc = NULL;
            if ((st = tale_json_parse_file(at, &doc, err)) != TALE_OK)
                goto fail;
            for (size_t i = 0; i < tale_jval_len(doc); i++) {
                const tale_jval *idv;
                const char *content = tale_jobj_key_at(doc, i, &idv);
                long long id;
                if (!tale_jval_int(idv, &id)) {
                    st = tale_error_set(err, TALE_BAD_MODEL, "%s: %s has no integer id", at, content);
                    goto fail;
                }
                if ((st = check_special(at, content, id, &sp, err)) != TALE_OK)
                    goto fail;
            }
        }
    } else {
        st = tale_error_set(err, TALE_IO, "%s: no tokenizer.json or vocab.json + merges.txt", dir);
        goto fail;
    }
    if (st == TALE_BAD_DATA || st == TALE_BAD_UTF8)
        st = TALE_BAD_MODEL;
    tale_jval_free(doc);
    *out = v;
    return TALE_OK;
fail:
    if (st == TALE_BAD_DATA || st == TALE_BAD_UTF8) {
        if (err)
            err->code = TALE_BAD_MODEL;
        st = TALE_BAD_MODEL;
    }
    tale_jval_free(doc);
    asr_vocab_free(v);
    return st;
}

/* ---- writing --------------------------------------------------------------- */

/* The merge that makes token id: BPE over its bytes using only tokens of
 * lower id (rank), which must end in exactly two parts. */
static int find_merge(const asr_vocab *v, int id, int *a, int *b)
{
    size_t len;
    const char *t = asr_vocab_bytes(v, id, &len);
    if (!t || len < 2 || len > 256)
        return 0;
    size_t start[257], plen[257];
    size_t n = len;
    for (size_t i = 0; i < len; i++) {
        start[i] = i;
        plen[i] = 1;
    }
    while (n > 2) {
        int best = -1;
        size_t at = 0;
        for (size_t i = 0; i + 1 < n; i++) {
            int r = asr_vocab_find(v, t + start[i], plen[i] + plen[i + 1]);
            if (r >= 0 && r < id && (best < 0 || r < best)) {
                best = r;
                at = i;
            }
        }
        if (best < 0)
            break;
        plen[at] += plen[at + 1];
        memmove(start + at + 1, start + at + 2, (n - at - 2) * sizeof *start);
        memmove(plen + at + 1, plen + at + 2, (n - at - 2) * sizeof *plen);
        n--;
    }
    if (n != 2)
        return 0;
    *a = asr_vocab_find(v, t, plen[0]);
    *b = asr_vocab_find(v, t + start[1], plen[1]);
    return *a >= 0 && *b >= 0;
}

static tale_status write_text(const char *path, const char *text, tale_error *err)
{
    tale_afile *f;
    tale_status st = tale_afile_open(path, &f, err);
    if (st != TALE_OK)
        return st;
    fputs(text, tale_afile_stream(f));
    return tale_afile_commit(f, err);
}

tale_status asr_hf_tokenizer_write(const char *dir, const asr_vocab *v, int n_vocab,
                                   tale_error *err)
{
    uint16_t b2u[256], u2b[512];
    byte_tables(b2u, u2b);
    asr_specials sp;
    asr_whisper_specials(n_vocab, &sp);
    char path[1024];
    static char enc[2 * 1024 + 1], enc2[2 * 1024 + 1];
    tale_afile *f;
    tale_status st;

    snprintf(path, sizeof path, "%s/vocab.json", dir);
    if ((st = tale_afile_open(path, &f, err)) != TALE_OK)
        return st;
    tale_json *j = tale_json_writer_new(tale_afile_stream(f), 0);
    tale_json_obj_begin(j);
    for (int id = 0; id < N_TEXT; id++) {
        size_t len;
        const char *t = asr_vocab_bytes(v, id, &len);
        if (!t)
            continue; /* an id the source vocabulary lacks */
        if (len > 1024) {
            tale_json_writer_free(j);
            tale_afile_abort(f);
            return tale_error_set(err, TALE_BAD_MODEL, "%s: token %d is empty", path, id);
        }
        size_t n = encode_token(t, len, b2u, enc);
        tale_json_key(j, enc);
        (void)n;
        tale_json_int(j, id);
    }
    tale_json_key(j, "<|endoftext|>");
    tale_json_int(j, sp.eot);
    tale_json_obj_end(j);
    tale_json_writer_free(j);
    if ((st = tale_afile_commit(f, err)) != TALE_OK)
        return st;

    snprintf(path, sizeof path, "%s/merges.txt", dir);
    if ((st = tale_afile_open(path, &f, err)) != TALE_OK)
        return st;
    FILE *fp = tale_afile_stream(f);
    fputs("#version: 0.2\n", fp);
    for (int id = 0; id < N_TEXT; id++) {
        size_t len;
        const char *t = asr_vocab_bytes(v, id, &len);
        int a, b;
        if (!t || len < 2 || !find_merge(v, id, &a, &b))
            continue; /* single bytes (and the rare unreachable token) need no merge */
        size_t la, lb;
        const char *ta = asr_vocab_bytes(v, a, &la), *tb = asr_vocab_bytes(v, b, &lb);
        encode_token(ta, la, b2u, enc);
        encode_token(tb, lb, b2u, enc2);
        fprintf(fp, "%s %s\n", enc, enc2);
    }
    if ((st = tale_afile_commit(f, err)) != TALE_OK)
        return st;

    /* added_tokens.json: every special token with its id */
    snprintf(path, sizeof path, "%s/added_tokens.json", dir);
    if ((st = tale_afile_open(path, &f, err)) != TALE_OK)
        return st;
    j = tale_json_writer_new(tale_afile_stream(f), 1);
    tale_json_obj_begin(j);
    tale_json_key(j, "<|endoftext|>");
    tale_json_int(j, sp.eot);
    tale_json_key(j, "<|startoftranscript|>");
    tale_json_int(j, sp.sot);
    for (int i = 0; i < sp.n_langs; i++) {
        const char *code = asr_lang_code(i);
        if (!code)
            continue;
        char name[32];
        snprintf(name, sizeof name, "<|%s|>", code);
        tale_json_key(j, name);
        tale_json_int(j, sp.lang_first + i);
    }
    const char *names[] = {"<|translate|>", "<|transcribe|>", "<|startoflm|>",
                           "<|startofprev|>", "<|nospeech|>", "<|notimestamps|>"};
    const int ids[] = {sp.translate, sp.transcribe, sp.sot_lm, sp.sot_prev, sp.no_speech,
                       sp.no_timestamps};
    for (int i = 0; i < 6; i++) {
        tale_json_key(j, names[i]);
        tale_json_int(j, ids[i]);
    }
    for (int i = 0; sp.ts_begin + i < n_vocab; i++) {
        char name[32];
        snprintf(name, sizeof name, "<|%d.%02d|>", i / 50, (i % 50) * 2);
        tale_json_key(j, name);
        tale_json_int(j, sp.ts_begin + i);
    }
    tale_json_obj_end(j);
    tale_json_writer_free(j);
    if ((st = tale_afile_commit(f, err)) != TALE_OK)
        return st;

    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    return write_text(path,
                      "{\"tokenizer_class\": \"WhisperTokenizer\", \"model_max_length\": 1024,\n"
                      " \"bos_token\": \"<|endoftext|>\", \"eos_token\": \"<|endoftext|>\",\n"
                      " \"unk_token\": \"<|endoftext|>\", \"pad_token\": \"<|endoftext|>\",\n"
                      " \"add_prefix_space\": false, \"errors\": \"replace\"}\n",
                      err);
}
