/*
 * download.c — resumable, checksum-verified downloads with libcurl.
 *
 * A download writes "<dest>.part", continuing an existing one with an HTTP
 * Range request; a server that ignores the Range (200 instead of 206) makes
 * us start over.  The sha256 comes from the caller (the registry's pin) or,
 * when none is pinned, from Hugging Face's LFS metadata: the un-redirected
 * response of huggingface.co/<repo>/resolve/<rev>/<file> carries
 * X-Linked-Etag (the LFS object id, which is the file's sha256) and
 * X-Linked-Size.  After the transfer the file is hashed (libcrypto EVP),
 * its format is checked (asr_check_model_file, for registry downloads),
 * and it is fsync'd and renamed to dest.  With neither a pinned nor a
 * server checksum the file is kept, but the result says it was not verified
 * (the caller must say so loudly).
 *
 * What is kept on failure: a network error (connection refused, dropped
 * connection, HTTP >= 400, timeout, abort) keeps the .part so the next call
 * resumes; a checksum, size or format mismatch deletes the .part (or keeps
 * it as "<dest>.bad" with keep_bad_checksum), because resuming corrupt data
 * would fail again.
 */
#include "tale_asr.h"
#include "download_internal.h"
#include "tale_json.h"
#include "whisper_internal.h" /* the ggml format check uses the loader's hyper-parameter rules */

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

tale_download_params tale_download_default_params(void)
{
    tale_download_params p;
    memset(&p, 0, sizeof p);
    p.resume = 1;
    p.connect_timeout_s = 30;
    p.low_speed_time_s = 60;
    p.keep_bad_checksum = 0;
    return p;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static void hex32(const unsigned char *d, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = 0;
}

tale_status tale_sha256_file(const char *path, char hex[65], tale_error *err)
{
    hex[0] = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *buf = malloc(1 << 16);
    tale_status st = TALE_OK;
    if (!ctx || !buf || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: cannot start sha256", path);
        goto done;
    }
    size_t n;
    while ((n = fread(buf, 1, 1 << 16, fp)) > 0)
        if (EVP_DigestUpdate(ctx, buf, n) != 1) {
            st = tale_error_set(err, TALE_IO, "%s: sha256 failed", path);
            goto done;
        }
    if (ferror(fp)) {
        st = tale_error_set(err, TALE_IO, "%s: read error", path);
        goto done;
    }
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
        st = tale_error_set(err, TALE_IO, "%s: sha256 failed", path);
        goto done;
    }
    hex32(md, hex);
done:
    EVP_MD_CTX_free(ctx);
    free(buf);
    fclose(fp);
    return st;
}

static int is_sha256_hex(const char *s, size_t n)
{
    if (n != 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* ---- one transfer ------------------------------------------------------- */

typedef struct xfer {
    FILE *fp;
    const char *part;
    int64_t offset;          /* bytes already in the file when the request began */
    int64_t written;         /* bytes written by this request */
    long status;             /* HTTP status of the final response */
    int restarted;           /* server ignored Range: file truncated */
    int write_failed;
    CURL *curl;
    const tale_download_params *p;
    /* metadata from headers */
    char linked_etag[65];
    int64_t linked_size;
    int64_t content_length;
} xfer;

static size_t on_header(char *buf, size_t size, size_t n, void *user)
{
    xfer *x = user;
    size_t len = size * n;
    /* a new response (after a redirect) starts with "HTTP/" */
    if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0)
        x->content_length = -1;
    const char *names[] = {"x-linked-etag:", "x-linked-size:", "content-length:"};
    for (int k = 0; k < 3; k++) {
        size_t nl = strlen(names[k]);
        if (len > nl && strncasecmp(buf, names[k], nl) == 0) {
            const char *v = buf + nl;
            const char *end = buf + len;
            while (v < end && (*v == ' ' || *v == '\t' || *v == '"'))
                v++;
            const char *ve = v;
            while (ve < end && *ve != '"' && *ve != '\r' && *ve != '\n')
                ve++;
            if (k == 0) {
                if (is_sha256_hex(v, (size_t)(ve - v))) {
                    for (int i = 0; i < 64; i++)
                        x->linked_etag[i] = (char)tolower((unsigned char)v[i]);
                    x->linked_etag[64] = 0;
                }
            } else {
                char tmp[32];
                size_t tl = (size_t)(ve - v) < sizeof tmp - 1 ? (size_t)(ve - v) : sizeof tmp - 1;
                memcpy(tmp, v, tl);
                tmp[tl] = 0;
                char *e;
                long long val = strtoll(tmp, &e, 10);
                if (e != tmp && val >= 0) {
                    if (k == 1)
                        x->linked_size = val;
                    else
                        x->content_length = val;
                }
            }
        }
    }
    return len;
}

static size_t on_write(char *data, size_t size, size_t n, void *user)
{
    xfer *x = user;
    size_t len = size * n;
    if (x->written == 0) {
        long code = 0;
        curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
        x->status = code;
        if (code >= 400)
            return len; /* error body: discard, reported after the transfer */
        if (x->offset > 0 && code == 200) {
            /* the server ignored our Range: start the file over */
            if (fflush(x->fp) != 0 || ftruncate(fileno(x->fp), 0) != 0 || fseeko(x->fp, 0, SEEK_SET) != 0) {
                x->write_failed = 1;
                return 0;
            }
            x->offset = 0;
            x->restarted = 1;
        }
    }
    if (x->status >= 400)
        return len;
    if (fwrite(data, 1, len, x->fp) != len) {
        x->write_failed = 1;
        return 0;
    }
    x->written += (int64_t)len;
    return len;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)ultotal;
    (void)ulnow;
    xfer *x = user;
    if (x->p->should_abort && x->p->should_abort(x->p->user_data))
        return 1;
    if (x->p->on_progress)
        x->p->on_progress((double)(x->offset + dlnow), dltotal > 0 ? (double)(x->offset + dltotal) : 0.0,
                          x->p->user_data);
    return 0;
}

static void set_common(CURL *c, const tale_download_params *p, char *errbuf)
{
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, p->connect_timeout_s > 0 ? p->connect_timeout_s : 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, p->low_speed_time_s > 0 ? p->low_speed_time_s : 60L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "tale/" TALE_VERSION_STRING);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
}

static tale_status curl_failure(CURLcode rc, const char *errbuf, const char *url, tale_error *err)
{
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
        return tale_error_set(err, TALE_NETWORK, "%s: connection refused or unreachable (%s)", url, detail);
    case CURLE_COULDNT_RESOLVE_HOST:
        return tale_error_set(err, TALE_NETWORK, "%s: cannot resolve host (%s)", url, detail);
    case CURLE_OPERATION_TIMEDOUT:
        return tale_error_set(err, TALE_NETWORK, "%s: timed out (%s)", url, detail);
    case CURLE_ABORTED_BY_CALLBACK:
        return tale_error_set(err, TALE_ABORTED, "%s: download aborted", url);
    default:
        return tale_error_set(err, TALE_NETWORK, "%s: %s", url, detail);
    }
}

/* HEAD without following redirects: Hugging Face's LFS metadata. */
static void probe_lfs(const char *url, const tale_download_params *p, xfer *meta)
{
    CURL *c = curl_easy_init();
    if (!c)
        return;
    char errbuf[CURL_ERROR_SIZE] = "";
    set_common(c, p, errbuf);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, meta);
    curl_easy_perform(c); /* failures here just mean: no metadata */
    curl_easy_cleanup(c);
}

static int file_size(const char *path, int64_t *size)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return -1;
    *size = (int64_t)sb.st_size;
    return 0;
}

/* ---- format checks ------------------------------------------------------ */

#define GGML_FILE_MAGIC 0x67676d6cu /* "ggml", little-endian */
#define ST_MAX_HEADER (100u << 20) /* safetensors headers are kilobytes */
#define JSON_CHECK_MAX (512u << 20)

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Reads up to n bytes from the start of fp; *got is how many. */
static tale_status read_start(FILE *fp, const char *shown, void *buf, size_t n, size_t *got,
                              tale_error *err)
{
    *got = fread(buf, 1, n, fp);
    if (*got < n && ferror(fp))
        return tale_error_set(err, TALE_IO, "%s: read error", shown);
    return TALE_OK;
}

static tale_status check_ggml(FILE *fp, const char *shown, tale_error *err)
{
    unsigned char b[48];
    size_t got;
    tale_status st = read_start(fp, shown, b, sizeof b, &got, err);
    if (st != TALE_OK)
        return st;
    if (got < sizeof b)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: %zu bytes, too short for a ggml Whisper model",
                              shown, got);
    if (le32(b) != GGML_FILE_MAGIC)
        return tale_error_set(err, TALE_BAD_MODEL,
                              "%s: not a ggml Whisper model (starts with %02x %02x %02x %02x, "
                              "not the ggml magic 6c 6d 67 67)",
                              shown, b[0], b[1], b[2], b[3]);
    int32_t h[11];
    for (int i = 0; i < 11; i++)
        h[i] = (int32_t)le32(b + 4 * i);
    asr_whisper_hparams hp = {h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10]};
    tale_error e;
    st = asr_whisper_hparams_check(&hp, shown, &e);
    if (st != TALE_OK)
        return tale_error_set(err, st, "%s (not a ggml Whisper model tale can load)", e.msg);
    return TALE_OK;
}

/* A JSON document of at most limit bytes from fp (from its start). */
static tale_status parse_json_stream(FILE *fp, const char *shown, size_t limit, tale_jval **out,
                                     const char *what, tale_error *err)
{
    *out = NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", shown);
    for (;;) {
        if (len == cap) {
            if (cap >= limit) {
                free(buf);
                return tale_error_set(err, TALE_BAD_MODEL, "%s: %s larger than %zu bytes", shown, what, limit);
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", shown);
            }
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, fp);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(fp)) {
        free(buf);
        return tale_error_set(err, TALE_IO, "%s: read error", shown);
    }
    tale_error je;
    tale_status st = tale_json_parse(buf, len, out, &je);
    free(buf);
    if (st == TALE_NO_MEMORY)
        return tale_error_set(err, st, "%s: out of memory", shown);
    if (st != TALE_OK)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: %s is not valid JSON (%s)", shown, what, je.msg);
    return TALE_OK;
}

static tale_status check_json(FILE *fp, const char *shown, tale_error *err)
{
    tale_jval *doc;
    tale_status st = parse_json_stream(fp, shown, JSON_CHECK_MAX, &doc, "the file", err);
    tale_jval_free(doc);
    return st;
}

static tale_status check_safetensors(FILE *fp, const char *shown, int64_t size, tale_error *err)
{
    unsigned char b[8];
    size_t got;
    tale_status st = read_start(fp, shown, b, sizeof b, &got, err);
    if (st != TALE_OK)
        return st;
    if (got < 8)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: %zu bytes, too short for a safetensors file", shown,
                              got);
    uint64_t hlen = (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
    if (hlen < 2 || hlen > ST_MAX_HEADER || hlen > (uint64_t)size - 8)
        return tale_error_set(err, TALE_BAD_MODEL,
                              "%s: not a safetensors file (header length %llu in a file of %lld bytes)", shown,
                              (unsigned long long)hlen, (long long)size);
    char *hdr = malloc((size_t)hlen);
    if (!hdr)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", shown);
    if (fread(hdr, 1, (size_t)hlen, fp) != (size_t)hlen) {
        free(hdr);
        return tale_error_set(err, TALE_IO, "%s: read error", shown);
    }
    tale_jval *doc = NULL;
    tale_error je;
    st = tale_json_parse(hdr, (size_t)hlen, &doc, &je);
    free(hdr);
    if (st == TALE_NO_MEMORY)
        return tale_error_set(err, st, "%s: out of memory", shown);
    if (st != TALE_OK)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: not a safetensors file (header is not JSON: %s)",
                              shown, je.msg);
    uint64_t data_size = (uint64_t)size - 8 - hlen;
    size_t n_tensors = 0;
    if (tale_jval_type(doc) != TALE_JOBJ) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: not a safetensors file (header is not a JSON object)",
                            shown);
        goto done;
    }
    for (size_t i = 0; i < tale_jval_len(doc); i++) {
        const tale_jval *t;
        const char *name = tale_jobj_key_at(doc, i, &t);
        if (strcmp(name, "__metadata__") == 0)
            continue;
        const tale_jval *off = tale_jobj_get(t, "data_offsets");
        long long a, e;
        if (tale_jval_type(t) != TALE_JOBJ || !tale_jval_str(tale_jobj_get(t, "dtype")) ||
            tale_jval_type(tale_jobj_get(t, "shape")) != TALE_JARR || tale_jval_len(off) != 2 ||
            !tale_jval_int(tale_jarr_at(off, 0), &a) || !tale_jval_int(tale_jarr_at(off, 1), &e) || a < 0 ||
            e < a || (uint64_t)e > data_size) {
            st = tale_error_set(err, TALE_BAD_MODEL,
                                "%s: safetensors header: tensor '%.60s' lacks dtype/shape or its data_offsets "
                                "are not within the %llu data bytes",
                                shown, name, (unsigned long long)data_size);
            goto done;
        }
        n_tensors++;
    }
    if (n_tensors == 0)
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: safetensors file without tensors", shown);
done:
    tale_jval_free(doc);
    return st;
}

/* Skips leading blank lines; 1 when the text then starts with "\data\". */
static int is_arpa(const unsigned char *b, size_t n)
{
    size_t i = 0;
    while (i < n && (b[i] == '\n' || b[i] == '\r' || b[i] == ' ' || b[i] == '\t'))
        i++;
    return n - i >= 6 && memcmp(b + i, "\\data\\", 6) == 0;
}

#define KENLM_MAGIC "mmap lm http://kheafield.com/code"

static tale_status check_lm(FILE *fp, const char *shown, int arpa_only, tale_error *err)
{
    unsigned char b[4096];
    size_t got;
    tale_status st = read_start(fp, shown, b, sizeof b, &got, err);
    if (st != TALE_OK)
        return st;
    if (is_arpa(b, got))
        return TALE_OK;
    if (!arpa_only && got >= sizeof KENLM_MAGIC - 1 && memcmp(b, KENLM_MAGIC, sizeof KENLM_MAGIC - 1) == 0)
        return TALE_OK;
    return tale_error_set(err, TALE_BAD_MODEL, "%s: not %s", shown,
                          arpa_only ? "an ARPA language model (no \\data\\ header)"
                                    : "a KenLM language model (neither the KenLM binary magic nor an "
                                      "ARPA \\data\\ header)");
}

/* UTF-8 without NUL bytes, read in blocks (a sequence may span two). */
static tale_status check_text(FILE *fp, const char *shown, tale_error *err)
{
    enum { BLOCK = 1 << 16 };
    char *buf = malloc(BLOCK + 4);
    if (!buf)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", shown);
    size_t carry = 0;
    long long base = 0; /* file offset of buf[0] */
    tale_status st = TALE_OK;
    for (;;) {
        size_t n = fread(buf + carry, 1, BLOCK, fp);
        size_t len = carry + n;
        int eof = n == 0;
        if (ferror(fp)) {
            st = tale_error_set(err, TALE_IO, "%s: read error", shown);
            break;
        }
        char *nul = memchr(buf, 0, len);
        if (nul) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: not text (NUL byte at offset %lld)", shown,
                                base + (long long)(nul - buf));
            break;
        }
        size_t ok = tale_utf8_check(buf, len);
        if (ok < len && (eof || len - ok >= 4)) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: not UTF-8 text (invalid byte at offset %lld)", shown,
                                base + (long long)ok);
            break;
        }
        if (eof)
            break;
        /* keep an incomplete sequence at the end for the next block */
        carry = len - ok;
        memmove(buf, buf + ok, carry);
        base += (long long)ok;
    }
    free(buf);
    return st;
}

typedef enum format_rule { FMT_NONE, FMT_GGML, FMT_SAFETENSORS, FMT_JSON, FMT_ARPA, FMT_LM, FMT_TEXT } format_rule;

static format_rule rule_for(const char *file, const char *kind)
{
    int lm_dir = strncmp(file, "language_model/", 15) == 0 || strstr(file, "/language_model/") != NULL;
    if (kind && strcmp(kind, "whisper-ggml") == 0)
        return FMT_GGML;
    if (ends_with(file, ".safetensors"))
        return FMT_SAFETENSORS;
    if (ends_with(file, ".json"))
        return FMT_JSON;
    if (ends_with(file, ".arpa"))
        return FMT_ARPA;
    if (lm_dir && (ends_with(file, ".bin") || ends_with(file, ".binary")))
        return FMT_LM;
    if (ends_with(file, ".txt"))
        return FMT_TEXT;
    return FMT_NONE;
}

int asr_model_file_has_check(const char *file, const char *kind)
{
    return file && rule_for(file, kind) != FMT_NONE;
}

static tale_status check_file_as(const char *path, const char *shown, const char *file, const char *kind,
                                 int *checked, tale_error *err)
{
    if (checked)
        *checked = 0;
    format_rule how = rule_for(file, kind);
    if (how == FMT_NONE)
        return TALE_OK;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: %s", shown, strerror(errno));
    struct stat sb;
    int64_t size = fstat(fileno(fp), &sb) == 0 ? (int64_t)sb.st_size : 0;
    tale_status st;
    switch (how) {
    case FMT_GGML: st = check_ggml(fp, shown, err); break;
    case FMT_SAFETENSORS: st = check_safetensors(fp, shown, size, err); break;
    case FMT_JSON: st = check_json(fp, shown, err); break;
    case FMT_ARPA: st = check_lm(fp, shown, 1, err); break;
    case FMT_LM: st = check_lm(fp, shown, 0, err); break;
    default: st = check_text(fp, shown, err); break;
    }
    fclose(fp);
    if (checked)
        *checked = 1;
    return st;
}

tale_status asr_check_model_file(const char *path, const char *file, const char *kind, int *checked,
                                 tale_error *err)
{
    if (checked)
        *checked = 0;
    if (!path || !file)
        return tale_error_set(err, TALE_INVALID_ARG, "format check: no file");
    return check_file_as(path, path, file, kind, checked, err);
}

/* ---- the download ------------------------------------------------------- */

/* A file that failed a check: removed, or kept as <dest>.bad. */
static void discard(const char *part, const char *dest, int keep)
{
    if (keep) {
        size_t blen = strlen(dest) + 5;
        char *bad = malloc(blen);
        if (bad) {
            snprintf(bad, blen, "%s.bad", dest);
            if (rename(part, bad) == 0) {
                free(bad);
                return;
            }
            free(bad);
        }
    }
    remove(part);
}

tale_status tale_download_file(const char *url, const char *dest, int64_t expected_size,
                               const char *expected_sha256, const tale_download_params *params,
                               tale_download_info *info, tale_error *err)
{
    return asr_download_checked(url, dest, expected_size, expected_sha256, params, NULL, NULL, info, NULL,
                                err);
}

tale_status asr_download_checked(const char *url, const char *dest, int64_t expected_size,
                                 const char *expected_sha256, const tale_download_params *params,
                                 const char *file, const char *kind, tale_download_info *info,
                                 asr_hash_source *source, tale_error *err)
{
    tale_download_params p = params ? *params : tale_download_default_params();
    tale_download_info inf;
    memset(&inf, 0, sizeof inf);
    if (info)
        *info = inf;
    if (source)
        *source = ASR_HASH_NONE;
    if (!url || !dest || !*url || !*dest)
        return tale_error_set(err, TALE_INVALID_ARG, "download: no URL or destination");
    if (expected_sha256 && !is_sha256_hex(expected_sha256, strlen(expected_sha256)))
        return tale_error_set(err, TALE_INVALID_ARG, "%s: expected sha256 '%s' is not 64 hex digits", dest,
                              expected_sha256);
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return tale_error_set(err, TALE_NETWORK, "libcurl initialisation failed: %s",
                              curl_easy_strerror(curl_init_rc));

    const int64_t pinned_size = expected_size;
    char want_sha[65] = "";
    asr_hash_source src = ASR_HASH_NONE;
    if (expected_sha256) {
        for (int i = 0; i < 64; i++)
            want_sha[i] = (char)tolower((unsigned char)expected_sha256[i]);
        want_sha[64] = 0;
        src = ASR_HASH_PINNED;
    } else {
        /* no pinned checksum: ask the server (Hugging Face LFS metadata) */
        xfer meta;
        memset(&meta, 0, sizeof meta);
        meta.linked_size = -1;
        meta.content_length = -1;
        probe_lfs(url, &p, &meta);
        if (meta.linked_etag[0]) {
            memcpy(want_sha, meta.linked_etag, 65);
            src = ASR_HASH_SERVER;
        }
        if (meta.linked_size >= 0) {
            if (pinned_size >= 0 && meta.linked_size != pinned_size)
                return tale_error_set(err, TALE_CHECKSUM,
                                      "%s: the server reports %lld bytes, but %lld are pinned; nothing downloaded",
                                      dest, (long long)meta.linked_size, (long long)pinned_size);
            expected_size = meta.linked_size;
        }
    }
    tale_status st;
    int64_t have;

    /* already there? */
    if (file_size(dest, &have) == 0 && (expected_size < 0 || have == expected_size)) {
        tale_error fe;
        if (!file || check_file_as(dest, dest, file, kind, NULL, &fe) == TALE_OK) {
            if (!want_sha[0]) {
                inf.already_present = 1;
                inf.bytes = have;
                if (info)
                    *info = inf;
                return TALE_OK;
            }
            st = tale_sha256_file(dest, inf.sha256, err);
            if (st != TALE_OK)
                return st;
            if (strcmp(inf.sha256, want_sha) == 0) {
                inf.already_present = 1;
                inf.verified = 1;
                inf.bytes = have;
                if (info)
                    *info = inf;
                if (source)
                    *source = src;
                return TALE_OK;
            }
        }
        /* a different file is in the way: fetch again, replace on success */
    }

    size_t plen = strlen(dest) + 6;
    char *part = malloc(plen);
    if (!part)
        return tale_error_set(err, TALE_NO_MEMORY, "download: out of memory");
    snprintf(part, plen, "%s.part", dest);

    int64_t offset = 0;
    if (p.resume && file_size(part, &offset) == 0) {
        if (expected_size >= 0 && offset > expected_size)
            offset = 0; /* longer than the file can be: start over */
    } else {
        offset = 0;
    }
    inf.resumed_from = offset;

    FILE *fp = fopen(part, offset > 0 ? "r+b" : "wb");
    if (!fp) {
        st = tale_error_set(err, TALE_IO, "%s: %s", part, strerror(errno));
        goto done;
    }
    if (offset > 0 && fseeko(fp, offset, SEEK_SET) != 0) {
        fclose(fp);
        st = tale_error_set(err, TALE_IO, "%s: cannot seek: %s", part, strerror(errno));
        goto done;
    }

    int restarted = 0;
    int length_known = 1; /* the server said how long the file is (or it was complete already) */
retry:
    if (!(expected_size >= 0 && offset == expected_size)) {
        CURL *c = curl_easy_init();
        if (!c) {
            fclose(fp);
            st = tale_error_set(err, TALE_NETWORK, "%s: cannot create a libcurl handle", url);
            goto done;
        }
        char errbuf[CURL_ERROR_SIZE] = "";
        xfer x;
        memset(&x, 0, sizeof x);
        x.fp = fp;
        x.part = part;
        x.offset = offset;
        x.curl = c;
        x.p = &p;
        x.linked_size = -1;
        x.content_length = -1;
        set_common(c, &p, errbuf);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
        if (offset > 0)
            curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)offset);
        CURLcode rc = curl_easy_perform(c);
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_cleanup(c);
        int close_failed = fflush(fp) != 0 || fsync(fileno(fp)) != 0;
        close_failed |= fclose(fp) != 0;
        inf.resumed_from = (x.restarted || restarted) ? 0 : offset;
        if (rc == CURLE_RANGE_ERROR && offset > 0 && !restarted && !x.write_failed && !close_failed) {
            /* the server does not do ranges (libcurl refuses the 200): start over */
            restarted = 1;
            offset = 0;
            fp = fopen(part, "wb");
            if (!fp) {
                st = tale_error_set(err, TALE_IO, "%s: %s", part, strerror(errno));
                goto done;
            }
            goto retry;
        }
        if (x.write_failed || close_failed) {
            st = tale_error_set(err, TALE_IO, "%s: write failed: %s", part, strerror(errno));
            goto done;
        }
        if (code == 416 && offset > 0) {
            /* "range not satisfiable": our .part is as long as the file (or
             * longer); the checks below decide */
        } else if (code >= 400) {
            st = tale_error_set(err, TALE_NETWORK, "%s: HTTP %ld", url, code);
            goto done;
        } else if (rc != CURLE_OK) {
            st = curl_failure(rc, errbuf, url, err);
            if (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_OPERATION_TIMEDOUT)
                tale_error_set(err, st, "%s: download interrupted after %lld bytes (%s); run again to resume",
                               url, (long long)(x.offset + x.written), errbuf[0] ? errbuf : curl_easy_strerror(rc));
            goto done;
        } else {
            length_known = x.content_length >= 0;
        }
        if (expected_size < 0 && x.content_length >= 0 && code != 416)
            expected_size = x.offset + x.content_length;
    } else {
        fclose(fp);
    }

    int64_t got;
    if (file_size(part, &got) != 0) {
        st = tale_error_set(err, TALE_IO, "%s: %s", part, strerror(errno));
        goto done;
    }
    if (expected_size >= 0 && got != expected_size) {
        if (got < expected_size && !length_known) {
            /* the connection ended without saying how long the file is */
            st = tale_error_set(err, TALE_NETWORK, "%s: got %lld bytes, expected %lld; run again to resume", url,
                                (long long)got, (long long)expected_size);
            goto done;
        }
        /* a complete transfer of another length: not the file we want */
        discard(part, dest, p.keep_bad_checksum);
        st = tale_error_set(err, TALE_CHECKSUM, "%s: %lld bytes received, but %lld are %s (%s; nothing installed)",
                            dest, (long long)got, (long long)expected_size,
                            pinned_size >= 0 ? "pinned" : "what the server announced",
                            p.keep_bad_checksum ? "kept as .bad" : "partial file removed");
        goto done;
    }
    st = tale_sha256_file(part, inf.sha256, err);
    if (st != TALE_OK)
        goto done;
    if (want_sha[0]) {
        if (strcmp(inf.sha256, want_sha) != 0) {
            discard(part, dest, p.keep_bad_checksum);
            /* the hashes last: a long path may cut the message short */
            st = tale_error_set(err, TALE_CHECKSUM,
                                "%s: sha256 mismatch with the %s; nothing installed, %s (got %s, expected %s)", dest,
                                src == ASR_HASH_PINNED ? "pinned checksum" : "server's checksum",
                                p.keep_bad_checksum ? "kept as .bad" : "partial file removed", inf.sha256, want_sha);
            goto done;
        }
        inf.verified = 1;
    }
    if (file) {
        tale_error fe;
        st = check_file_as(part, dest, file, kind, NULL, &fe);
        if (st != TALE_OK) {
            discard(part, dest, p.keep_bad_checksum);
            st = tale_error_set(err, st, "%s (%s; nothing installed)", fe.msg,
                                p.keep_bad_checksum ? "kept as .bad" : "partial file removed");
            inf.verified = 0;
            goto done;
        }
    }
    if (rename(part, dest) != 0) {
        st = tale_error_set(err, TALE_IO, "%s: cannot rename into place: %s", dest, strerror(errno));
        goto done;
    }
    inf.bytes = got;
    if (source && inf.verified)
        *source = src;
    st = TALE_OK;
done:
    free(part);
    if (info)
        *info = inf;
    return st;
}

/* ---- fetching into memory (the Hugging Face file list) ------------------ */

typedef struct membuf {
    char *data;
    size_t len, cap, limit;
} membuf;

static size_t on_mem(char *data, size_t size, size_t n, void *user)
{
    membuf *m = user;
    size_t len = size * n;
    if (m->len + len + 1 > m->limit)
        return 0;
    if (m->len + len + 1 > m->cap) {
        size_t nc = (m->len + len + 1) * 2;
        char *nd = realloc(m->data, nc);
        if (!nd)
            return 0;
        m->data = nd;
        m->cap = nc;
    }
    memcpy(m->data + m->len, data, len);
    m->len += len;
    m->data[m->len] = 0;
    return len;
}

tale_status asr_http_get(const char *url, size_t limit, const tale_download_params *p, char **out,
                         size_t *len, tale_error *err)
{
    *out = NULL;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return tale_error_set(err, TALE_NETWORK, "libcurl initialisation failed");
    tale_download_params dp = p ? *p : tale_download_default_params();
    CURL *c = curl_easy_init();
    if (!c)
        return tale_error_set(err, TALE_NETWORK, "%s: cannot create a libcurl handle", url);
    char errbuf[CURL_ERROR_SIZE] = "";
    membuf m = {0};
    m.limit = limit;
    set_common(c, &dp, errbuf);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_mem);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &m);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    tale_status st = TALE_OK;
    if (code >= 400)
        st = tale_error_set(err, TALE_NETWORK, "%s: HTTP %ld", url, code);
    else if (rc == CURLE_WRITE_ERROR)
        st = tale_error_set(err, TALE_NETWORK, "%s: response larger than %zu bytes", url, limit);
    else if (rc != CURLE_OK)
        st = curl_failure(rc, errbuf, url, err);
    if (st != TALE_OK) {
        free(m.data);
        return st;
    }
    if (!m.data) {
        m.data = calloc(1, 1);
        if (!m.data)
            return tale_error_set(err, TALE_NO_MEMORY, "download: out of memory");
    }
    *out = m.data;
    if (len)
        *len = m.len;
    return TALE_OK;
}
