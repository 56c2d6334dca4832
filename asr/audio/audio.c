/* audio.c — streaming audio reader: libsndfile (or raw PCM on stdin) →
 * channel average → libsamplerate → mono float at the target rate.
 *
 * Memory stays bounded whatever the file length: one block of BLOCK_FRAMES
 * interleaved frames, its mono mix, and libsamplerate's own state. */
#include "audio_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK_FRAMES 8192
#define MAX_CHANNELS 256

enum raw_format { RAW_S16LE, RAW_S32LE, RAW_F32LE, RAW_U8 };

struct tale_audio {
    char *name;           /* path as given, for messages */
    SNDFILE *sf;          /* NULL for raw stdin */
    FILE *raw;            /* stdin for "-" */
    enum raw_format raw_fmt;
    int raw_bytes;        /* bytes per sample */
    int src_rate_hz;
    int channels;
    int64_t src_frames;   /* from the header; -1 unknown */
    int frames_exact;     /* src_frames is exact (not an MP3 estimate) */
    long long claimed_bytes, actual_bytes; /* data chunk: header vs file */
    int stray_bytes, frame_bytes; /* a streamed WAV cut inside its last frame (block) */
    struct wav_fix *fix;  /* a streamed WAV read through a mended header, or NULL */
    int target_rate_hz;
    char format[160];

    unsigned char *bytes; /* raw stdin block */
    float *block;         /* interleaved block, BLOCK_FRAMES * channels */
    float *mono;          /* BLOCK_FRAMES mono samples awaiting the resampler */
    size_t mono_len, mono_pos;
    asr_resampler *rs;    /* NULL when the rates already match */

    int eof_in;           /* the source has no more frames */
    int done;             /* everything delivered */
    uint64_t frames_in;   /* source frames decoded */
    uint64_t samples_out; /* output samples delivered */
    tale_status pending;  /* error to report at the end of the delivered audio */
    char pending_msg[TALE_ERROR_MSG_SIZE];
};

tale_audio_params tale_audio_default_params(void)
{
    tale_audio_params p;
    p.target_rate_hz = TALE_SAMPLE_RATE_HZ;
    p.raw_rate_hz = 0;
    p.raw_channels = 1;
    p.raw_format = "s16le";
    return p;
}

static int parse_raw_format(const char *s, enum raw_format *f, int *bytes)
{
    if (!s || strcmp(s, "s16le") == 0 || strcmp(s, "s16") == 0)
        *f = RAW_S16LE, *bytes = 2;
    else if (strcmp(s, "s32le") == 0 || strcmp(s, "s32") == 0)
        *f = RAW_S32LE, *bytes = 4;
    else if (strcmp(s, "f32le") == 0 || strcmp(s, "f32") == 0)
        *f = RAW_F32LE, *bytes = 4;
    else if (strcmp(s, "u8") == 0)
        *f = RAW_U8, *bytes = 1;
    else
        return -1;
    return 0;
}

static void describe_sf_format(tale_audio *a, int format)
{
    SF_FORMAT_INFO major = {0}, sub = {0};
    major.format = format & SF_FORMAT_TYPEMASK;
    sub.format = format & SF_FORMAT_SUBMASK;
    const char *mj = sf_command(NULL, SFC_GET_FORMAT_INFO, &major, sizeof major) == 0 && major.name
                         ? major.name
                         : "unknown container";
    const char *sb = sf_command(NULL, SFC_GET_FORMAT_INFO, &sub, sizeof sub) == 0 && sub.name
                         ? sub.name
                         : "unknown encoding";
    snprintf(a->format, sizeof a->format, "%s, %s", mj, sb);
}

/* ---- streamed WAVs: placeholder sizes ------------------------------------
 *
 * A WAV writer that cannot seek back (ffmpeg or sox writing to a pipe, a
 * recorder that fills in the sizes when it closes the file) leaves
 * placeholders in the RIFF and data size fields: 0xFFFFFFFF (ffmpeg),
 * 0x7FFFF000 (sox), 0x7FFFFFFF, or 0.  libsndfile takes a data size of 0 at
 * its word (no audio), and a too-large one as a truncated file.  Such a
 * file's data runs to the end of the file, so tale reads it through
 * libsndfile's virtual I/O with those two fields mended: data size = the
 * whole frames (blocks) up to the end of the file, RIFF size to match.  A
 * cut inside the last frame is reported as a truncation after the audio. */

#define WAV_MAX_HEADER (1 << 20) /* chunks before "data" we are willing to mend */

typedef struct wav_fix {
    int fd;
    unsigned char *hdr;  /* bytes [0, hdr_len) with the sizes mended */
    size_t hdr_len;      /* data chunk start (after its 8-byte header) */
    int64_t len;         /* what libsndfile sees: hdr_len + whole frames */
    int64_t pos;
} wav_fix;

static void wav_fix_free(wav_fix *f)
{
    if (!f)
        return;
    if (f->fd >= 0)
        close(f->fd);
    free(f->hdr);
    free(f);
}

static sf_count_t vio_len(void *u) { return ((wav_fix *)u)->len; }
static sf_count_t vio_tell(void *u) { return ((wav_fix *)u)->pos; }

static sf_count_t vio_seek(sf_count_t off, int whence, void *u)
{
    wav_fix *f = u;
    int64_t base = whence == SEEK_CUR ? f->pos : whence == SEEK_END ? f->len : 0;
    if (base + off < 0)
        return -1;
    f->pos = base + off;
    return f->pos;
}

static sf_count_t vio_read(void *ptr, sf_count_t count, void *u)
{
    wav_fix *f = u;
    unsigned char *out = ptr;
    sf_count_t done = 0;
    if (count > f->len - f->pos)
        count = f->len - f->pos > 0 ? f->len - f->pos : 0;
    if (f->pos < (int64_t)f->hdr_len && count > 0) {
        sf_count_t k = (int64_t)f->hdr_len - f->pos < count ? (int64_t)f->hdr_len - f->pos : count;
        memcpy(out, f->hdr + f->pos, (size_t)k);
        done += k;
        f->pos += k;
    }
    while (done < count) {
        ssize_t k = pread(f->fd, out + done, (size_t)(count - done), (off_t)f->pos);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        done += k;
        f->pos += k;
    }
    return done;
}

static sf_count_t vio_write(const void *ptr, sf_count_t count, void *u)
{
    (void)ptr, (void)count, (void)u;
    return 0;
}

static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put_le32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static int pread_all(int fd, void *buf, size_t n, off_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        got += (size_t)k;
    }
    return 0;
}

static int is_size_placeholder(uint32_t v)
{
    return v == 0 || v == 0xFFFFFFFFu || v == 0x7FFFFFFFu || v == 0x7FFFF000u;
}

/* If fd (size bytes) is a RIFF/WAVE file whose data size is a placeholder
 * that disagrees with the file, return a wav_fix that owns fd, and the
 * bytes of a cut last frame; else NULL (fd untouched). */
static wav_fix *wav_fix_new(int fd, int64_t size, int *stray, int *frame_bytes)
{
    unsigned char h[12], ch[8], fmt[16];
    int have_fmt = 0;
    if (size < 44 || pread_all(fd, h, 12, 0) != 0 || memcmp(h, "RIFF", 4) != 0 ||
        memcmp(h + 8, "WAVE", 4) != 0)
        return NULL;
    int64_t off = 12;
    for (int n = 0; n < 256 && off + 8 <= size && off < WAV_MAX_HEADER; n++) {
        if (pread_all(fd, ch, 8, (off_t)off) != 0)
            return NULL;
        uint32_t len = le32(ch + 4);
        if (memcmp(ch, "fmt ", 4) == 0 && len >= 16 && off + 8 + 16 <= size) {
            if (pread_all(fd, fmt, 16, (off_t)(off + 8)) != 0)
                return NULL;
            have_fmt = 1;
        } else if (memcmp(ch, "data", 4) == 0) {
            int align = fmt[12] | fmt[13] << 8; /* nBlockAlign */
            int64_t start = off + 8, actual = size - start;
            if (!have_fmt || align <= 0 || !is_size_placeholder(len) || actual == (int64_t)len)
                return NULL;
            int64_t whole = actual - actual % align;
            int64_t max = 0xFFFFFFFFll - 0xFFFFFFFFll % align; /* a WAV holds < 4 GiB */
            if (whole > max)
                whole = max;
            wav_fix *f = calloc(1, sizeof *f);
            if (!f || !(f->hdr = malloc((size_t)start)) ||
                pread_all(fd, f->hdr, (size_t)start, 0) != 0) {
                if (f)
                    free(f->hdr);
                free(f);
                return NULL;
            }
            put_le32(f->hdr + off + 4, (uint32_t)whole);
            int64_t riff = start - 8 + whole;
            put_le32(f->hdr + 4, riff > 0xFFFFFFFFll ? 0xFFFFFFFFu : (uint32_t)riff);
            f->fd = fd;
            f->hdr_len = (size_t)start;
            f->len = start + whole;
            *stray = (int)(actual % align);
            *frame_bytes = align;
            return f;
        }
        off += 8 + (int64_t)len + (len & 1);
    }
    return NULL;
}

tale_status tale_audio_check(const char *path, tale_error *err)
{
    struct stat st;
    if (!path || !*path)
        return tale_error_set(err, TALE_INVALID_ARG, "audio: no file name given");
    if (strcmp(path, "-") == 0)
        return TALE_OK;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return tale_error_set(err, TALE_IO, "%s: no such file", path);
        return tale_error_set(err, TALE_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return tale_error_set(err, TALE_IO, "%s: is a directory, not an audio file", path);
    if (access(path, R_OK) != 0)
        return tale_error_set(err, TALE_IO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISREG(st.st_mode) && st.st_size == 0)
        return tale_error_set(err, TALE_BAD_AUDIO, "%s: empty file (0 bytes)", path);
    return TALE_OK;
}

void tale_audio_close(tale_audio *a)
{
    if (!a)
        return;
    if (a->sf)
        sf_close(a->sf);
    wav_fix_free(a->fix);
    free(a->name);
    free(a->bytes);
    free(a->block);
    free(a->mono);
    asr_resampler_free(a->rs);
    free(a);
}

/* A WAV/AIFF/… whose header promises more data than the file holds is opened
 * by libsndfile without complaint: it shortens the length to what is there
 * and notes "data : 352800 (should be 99956)" in its log.  Find that note so
 * the truncation can be reported once the audio that is there was read. */
static void find_short_data_chunk(tale_audio *a)
{
    char log[8192];
    log[0] = 0;
    sf_command(a->sf, SFC_GET_LOG_INFO, log, sizeof log);
    for (char *line = log; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        long long claimed, actual;
        char tag[8];
        if (sscanf(line, "%7s : %lld (should be %lld)", tag, &claimed, &actual) == 3 &&
            (strcmp(tag, "data") == 0 || strcmp(tag, "SSND") == 0) && actual < claimed) {
            a->claimed_bytes = claimed;
            a->actual_bytes = actual;
            return;
        }
    }
}

static tale_status open_sndfile(tale_audio *a, const char *path, tale_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return tale_error_set(err, TALE_IO, "%s: no such file", path);
        return tale_error_set(err, TALE_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return tale_error_set(err, TALE_IO, "%s: is a directory, not an audio file", path);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return tale_error_set(err, TALE_IO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISREG(st.st_mode) && st.st_size == 0) {
        close(fd);
        return tale_error_set(err, TALE_BAD_AUDIO, "%s: empty file (0 bytes)", path);
    }
    SF_INFO info;
    memset(&info, 0, sizeof info);
    if (S_ISREG(st.st_mode))
        a->fix = wav_fix_new(fd, (int64_t)st.st_size, &a->stray_bytes, &a->frame_bytes);
    if (a->fix) {
        static SF_VIRTUAL_IO vio = {vio_len, vio_seek, vio_read, vio_write, vio_tell};
        a->sf = sf_open_virtual(&vio, SFM_READ, &info, a->fix); /* a->fix keeps fd */
    } else {
        a->sf = sf_open_fd(fd, SFM_READ, &info, 1); /* closes fd on failure too */
    }
    if (!a->sf) {
        int e = sf_error(NULL);
        const char *why = sf_error_number(e);
        if (e == SF_ERR_UNRECOGNISED_FORMAT)
            return tale_error_set(err, TALE_BAD_AUDIO,
                                  "%s: not an audio format libsndfile can read (%s)", path, why);
        if (e == SF_ERR_UNSUPPORTED_ENCODING)
            return tale_error_set(err, TALE_BAD_AUDIO, "%s: unsupported audio encoding (%s)",
                                  path, why);
        return tale_error_set(err, TALE_BAD_AUDIO, "%s: corrupt or unreadable audio (%s)", path,
                              why);
    }
    describe_sf_format(a, info.format);
    if (info.channels <= 0 || info.channels > MAX_CHANNELS || info.samplerate <= 0)
        return tale_error_set(err, TALE_BAD_AUDIO,
                              "%s: corrupt header (%d channels at %d Hz)", path, info.channels,
                              info.samplerate);
    if (info.frames == 0)
        return tale_error_set(err, TALE_BAD_AUDIO, "%s: contains no audio (0 samples)", path);
    a->src_rate_hz = info.samplerate;
    a->channels = info.channels;
    a->src_frames = (info.frames > 0 && info.frames < SF_COUNT_MAX) ? (int64_t)info.frames : -1;
    /* libsndfile estimates an MP3's length from its size and bit rate */
    a->frames_exact = (info.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_MPEG;
    find_short_data_chunk(a);
    return TALE_OK;
}

/* Standard input through libsndfile, which reads WAV, AU, Ogg and MP3 (not
 * FLAC) from a pipe. */
static tale_status open_stdin_sndfile(tale_audio *a, tale_error *err)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    a->sf = sf_open_fd(STDIN_FILENO, SFM_READ, &info, 0); /* 0: sf_close leaves fd 0 open */
    if (!a->sf)
        return tale_error_set(err, TALE_BAD_AUDIO,
                              "-: standard input is not audio libsndfile can read from a pipe (%s); "
                              "for raw PCM give its sample rate (--rate)",
                              sf_error_number(sf_error(NULL)));
    describe_sf_format(a, info.format);
    if (info.channels <= 0 || info.channels > MAX_CHANNELS || info.samplerate <= 0)
        return tale_error_set(err, TALE_BAD_AUDIO, "-: corrupt header (%d channels at %d Hz)",
                              info.channels, info.samplerate);
    a->src_rate_hz = info.samplerate;
    a->channels = info.channels;
    a->src_frames = (info.frames > 0 && info.frames < SF_COUNT_MAX) ? (int64_t)info.frames : -1;
    a->frames_exact = (info.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_MPEG;
    /* a WAV streamed by a writer that could not seek (ffmpeg, sox): its data
     * size is a placeholder, so the stream's length is unknown, not short */
    char log[4096];
    log[0] = 0;
    sf_command(a->sf, SFC_GET_LOG_INFO, log, sizeof log);
    const char *d = strstr(log, "\ndata : ");
    unsigned long long claimed;
    if ((info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_WAV && d &&
        sscanf(d, "\ndata : %llu", &claimed) == 1 && claimed <= 0xFFFFFFFFull &&
        is_size_placeholder((uint32_t)claimed)) {
        if (claimed == 0)
            return tale_error_set(err, TALE_BAD_AUDIO,
                                  "-: the WAV header says 0 bytes of audio (empty, or a size a "
                                  "streaming writer never filled in; from a pipe tale cannot "
                                  "tell: give the file's name instead)");
        a->src_frames = -1;
        a->frames_exact = 0;
    }
    return TALE_OK;
}

tale_status tale_audio_open(const char *path, const tale_audio_params *p, tale_audio **out,
                            tale_error *err)
{
    tale_status st;
    tale_audio_params def = tale_audio_default_params();
    if (out)
        *out = NULL;
    if (!p)
        p = &def;
    if (!out || !path || !*path)
        return tale_error_set(err, TALE_INVALID_ARG, "audio: no file name given");
    if (p->target_rate_hz < 1000 || p->target_rate_hz > 384000)
        return tale_error_set(err, TALE_INVALID_ARG, "%s: target rate %d Hz out of range", path,
                              p->target_rate_hz);
    tale_audio *a = calloc(1, sizeof *a);
    if (!a)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    a->name = strdup(path);
    if (!a->name) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    a->target_rate_hz = p->target_rate_hz;

    if (strcmp(path, "-") == 0 && p->raw_rate_hz == 0) {
        /* no raw description: a self-describing stream (WAV, Ogg, MP3, AU …) */
        st = open_stdin_sndfile(a, err);
        if (st)
            goto fail;
    } else if (strcmp(path, "-") == 0) {
        if (parse_raw_format(p->raw_format, &a->raw_fmt, &a->raw_bytes) != 0) {
            st = tale_error_set(err, TALE_INVALID_ARG,
                                "-: unknown raw PCM format '%s' (use s16le, s32le, f32le or u8)",
                                p->raw_format);
            goto fail;
        }
        if (p->raw_rate_hz < 0 || p->raw_rate_hz > 1000000) {
            st = tale_error_set(err, TALE_INVALID_ARG, "-: raw PCM rate %d Hz out of range",
                                p->raw_rate_hz);
            goto fail;
        }
        if (p->raw_channels <= 0 || p->raw_channels > MAX_CHANNELS) {
            st = tale_error_set(err, TALE_INVALID_ARG, "-: bad raw channel count %d",
                                p->raw_channels);
            goto fail;
        }
        a->raw = stdin;
        a->src_rate_hz = p->raw_rate_hz;
        a->channels = p->raw_channels;
        a->src_frames = -1;
        snprintf(a->format, sizeof a->format, "raw PCM %s",
                 p->raw_format ? p->raw_format : "s16le");
        a->bytes = malloc((size_t)BLOCK_FRAMES * a->channels * a->raw_bytes);
        if (!a->bytes) {
            st = tale_error_set(err, TALE_NO_MEMORY, "-: out of memory");
            goto fail;
        }
    } else {
        st = open_sndfile(a, path, err);
        if (st)
            goto fail;
    }
    a->block = malloc((size_t)BLOCK_FRAMES * a->channels * sizeof *a->block);
    a->mono = malloc((size_t)BLOCK_FRAMES * sizeof *a->mono);
    if (!a->block || !a->mono) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    if (a->src_rate_hz != a->target_rate_hz) {
        st = asr_resampler_new(a->src_rate_hz, a->target_rate_hz, &a->rs, err);
        if (st) {
            tale_error_set(err, st, "%s: cannot resample %d Hz to %d Hz", path, a->src_rate_hz,
                           a->target_rate_hz);
            goto fail;
        }
    }
    *out = a;
    return TALE_OK;
fail:
    tale_audio_close(a);
    return st;
}

static double seconds_in(const tale_audio *a)
{
    return (double)a->frames_in / a->src_rate_hz;
}

/* Raw PCM: read one block of whole frames from stdin into a->block. */
static size_t read_raw_block(tale_audio *a)
{
    size_t frame_bytes = (size_t)a->channels * a->raw_bytes;
    size_t want = (size_t)BLOCK_FRAMES * frame_bytes, got = 0;
    while (got < want) {
        size_t k = fread(a->bytes + got, 1, want - got, a->raw);
        if (k == 0)
            break;
        got += k;
    }
    if (got < want && ferror(a->raw)) {
        a->pending = TALE_IO;
        snprintf(a->pending_msg, sizeof a->pending_msg,
                 "-: read error on standard input after %.2f s: %s", seconds_in(a),
                 strerror(errno));
    } else if (got % frame_bytes) {
        a->pending = TALE_BAD_AUDIO;
        snprintf(a->pending_msg, sizeof a->pending_msg,
                 "-: raw PCM ends inside a sample frame (%zu stray bytes after %.2f s)",
                 got % frame_bytes, (double)(a->frames_in + got / frame_bytes) / a->src_rate_hz);
    }
    size_t frames = got / frame_bytes, n = frames * a->channels;
    const unsigned char *b = a->bytes;
    for (size_t i = 0; i < n; i++) {
        switch (a->raw_fmt) {
        case RAW_S16LE: {
            int16_t v = (int16_t)(uint16_t)(b[2 * i] | (b[2 * i + 1] << 8));
            a->block[i] = v / 32768.0f;
            break;
        }
        case RAW_S32LE: {
            uint32_t u = (uint32_t)b[4 * i] | ((uint32_t)b[4 * i + 1] << 8) |
                         ((uint32_t)b[4 * i + 2] << 16) | ((uint32_t)b[4 * i + 3] << 24);
            a->block[i] = (float)((int32_t)u / 2147483648.0);
            break;
        }
        case RAW_F32LE: {
            uint32_t u = (uint32_t)b[4 * i] | ((uint32_t)b[4 * i + 1] << 8) |
                         ((uint32_t)b[4 * i + 2] << 16) | ((uint32_t)b[4 * i + 3] << 24);
            float f;
            memcpy(&f, &u, sizeof f);
            a->block[i] = isfinite(f) ? f : 0.0f;
            break;
        }
        case RAW_U8:
            a->block[i] = (b[i] - 128) / 128.0f;
            break;
        }
    }
    return frames;
}

/* Decode the next block into a->mono; sets eof_in (and maybe pending). */
static void fill_mono(tale_audio *a)
{
    size_t frames;
    if (a->raw) {
        frames = a->pending ? 0 : read_raw_block(a);
    } else {
        sf_count_t k = sf_readf_float(a->sf, a->block, BLOCK_FRAMES);
        frames = k > 0 ? (size_t)k : 0;
        /* float/double files may hold NaN, Inf or absurd values: silence the
         * first (as raw f32 does) and bound the rest, so the channel mix and
         * the resampler stay finite (found by fuzz/fuzz_audio.c) */
        for (size_t i = 0; i < frames * (size_t)a->channels; i++)
            if (!(fabsf(a->block[i]) <= 1e6f))
                a->block[i] = isfinite(a->block[i]) ? copysignf(1e6f, a->block[i]) : 0.0f;
        if (frames == 0) {
            int e = sf_error(a->sf);
            if (e != SF_ERR_NO_ERROR) {
                a->pending = TALE_BAD_AUDIO;
                snprintf(a->pending_msg, sizeof a->pending_msg,
                         "%s: corrupt or truncated audio data at %.2f s (%s)", a->name, seconds_in(a),
                         sf_strerror(a->sf));
            } else if (a->claimed_bytes > 0) {
                a->pending = TALE_BAD_AUDIO;
                snprintf(a->pending_msg, sizeof a->pending_msg,
                         "%s: truncated: header promises %lld bytes of audio, file holds %lld "
                         "(audio ends at %.2f s)",
                         a->name, a->claimed_bytes, a->actual_bytes, seconds_in(a));
            } else if (a->stray_bytes > 0) {
                a->pending = TALE_BAD_AUDIO;
                snprintf(a->pending_msg, sizeof a->pending_msg,
                         "%s: truncated: the last sample frame is cut (%d of %d bytes; audio "
                         "ends at %.2f s)",
                         a->name, a->stray_bytes, a->frame_bytes, seconds_in(a));
            } else if (a->frames_in == 0) {
                a->pending = TALE_BAD_AUDIO;
                snprintf(a->pending_msg, sizeof a->pending_msg,
                         "%s: no audio could be decoded (corrupt or truncated)", a->name);
            } else if (a->frames_exact && a->src_frames > 0 &&
                       (int64_t)a->frames_in < a->src_frames) {
                a->pending = TALE_BAD_AUDIO;
                snprintf(a->pending_msg, sizeof a->pending_msg,
                         "%s: truncated: header promises %.2f s, audio ends at %.2f s", a->name,
                         (double)a->src_frames / a->src_rate_hz, seconds_in(a));
            }
        }
    }
    int ch = a->channels;
    if (ch == 1) {
        memcpy(a->mono, a->block, frames * sizeof *a->mono);
    } else {
        float inv = 1.0f / ch;
        for (size_t i = 0; i < frames; i++) {
            float s = 0;
            for (int c = 0; c < ch; c++)
                s += a->block[i * ch + c];
            a->mono[i] = s * inv;
        }
    }
    a->mono_len = frames;
    a->mono_pos = 0;
    a->frames_in += frames;
    if (frames == 0)
        a->eof_in = 1;
    if (a->raw && frames == 0 && a->frames_in == 0 && !a->pending) {
        a->pending = TALE_BAD_AUDIO;
        snprintf(a->pending_msg, sizeof a->pending_msg, "-: no audio on standard input");
    }
}

tale_status tale_audio_read(tale_audio *a, float *buf, size_t max_samples, size_t *n_read,
                            tale_error *err)
{
    if (n_read)
        *n_read = 0;
    if (!a || !buf || !n_read)
        return tale_error_set(err, TALE_INVALID_ARG, "audio: NULL argument to tale_audio_read");
    size_t n = 0;
    while (n < max_samples && !a->done) {
        if (a->mono_pos == a->mono_len && !a->eof_in)
            fill_mono(a);
        size_t avail = a->mono_len - a->mono_pos;
        if (!a->rs) {
            size_t k = avail < max_samples - n ? avail : max_samples - n;
            memcpy(buf + n, a->mono + a->mono_pos, k * sizeof *buf);
            a->mono_pos += k;
            n += k;
            if (a->eof_in && a->mono_pos == a->mono_len)
                a->done = 1;
        } else {
            size_t used, gen;
            tale_status st = asr_resampler_process(a->rs, a->mono + a->mono_pos, avail, a->eof_in,
                                                   buf + n, max_samples - n, &used, &gen, err);
            if (st) {
                a->samples_out += n;
                *n_read = n;
                return tale_error_set(err, st, "%s: resampling failed at %.2f s", a->name,
                                      seconds_in(a));
            }
            a->mono_pos += used;
            n += gen;
            if (a->eof_in && used == 0 && gen == 0)
                a->done = 1;
        }
    }
    a->samples_out += n;
    *n_read = n;
    if (n == 0 && a->done && a->pending)
        return tale_error_set(err, a->pending, "%s", a->pending_msg);
    return TALE_OK;
}

double tale_audio_duration_s(const tale_audio *a)
{
    return a->src_frames < 0 ? -1.0 : (double)a->src_frames / a->src_rate_hz;
}

int tale_audio_source_rate_hz(const tale_audio *a)
{
    return a->src_rate_hz;
}

int tale_audio_source_channels(const tale_audio *a)
{
    return a->channels;
}

const char *tale_audio_format(const tale_audio *a)
{
    return a->format;
}

uint64_t tale_audio_samples_read(const tale_audio *a)
{
    return a->samples_out;
}

tale_status tale_audio_load(const char *path, const tale_audio_params *p, float **samples,
                            size_t *n_samples, tale_error *err)
{
    tale_audio *a = NULL;
    float *buf = NULL;
    if (samples)
        *samples = NULL;
    if (n_samples)
        *n_samples = 0;
    if (!samples || !n_samples)
        return tale_error_set(err, TALE_INVALID_ARG, "audio: NULL output for tale_audio_load");
    tale_status st = tale_audio_open(path, p, &a, err);
    if (st)
        return st;
    size_t cap = 1 << 16, n = 0;
    double dur = tale_audio_duration_s(a);
    if (dur > 0)
        cap = (size_t)(dur * a->target_rate_hz) + 1024;
    buf = malloc(cap * sizeof *buf);
    if (!buf) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory for %zu samples", path, cap);
        goto fail;
    }
    for (;;) {
        if (n == cap) {
            float *nb = realloc(buf, 2 * cap * sizeof *nb);
            if (!nb) {
                st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
                goto fail;
            }
            buf = nb;
            cap *= 2;
        }
        size_t k;
        st = tale_audio_read(a, buf + n, cap - n, &k, err);
        if (st)
            goto fail;
        if (k == 0)
            break;
        n += k;
    }
    tale_audio_close(a);
    *samples = buf;
    *n_samples = n;
    return TALE_OK;
fail:
    free(buf);
    tale_audio_close(a);
    return st;
}

/* ---- whole-file summary ------------------------------------------------ */

#define INFO_CHUNK 16000

tale_status tale_audio_info_read(const char *path, const tale_audio_params *ap,
                                 const tale_mel_params *mp, tale_progress_fn progress,
                                 void *user_data, tale_audio_info *info, tale_error *err)
{
    tale_audio *a = NULL;
    tale_mel_stream *ms = NULL;
    float *buf = NULL, *frame = NULL;
    tale_status st;
    if (!info)
        return tale_error_set(err, TALE_INVALID_ARG, "audio: NULL info");
    memset(info, 0, sizeof *info);
    info->header_duration_s = -1;
    st = tale_audio_open(path, ap, &a, err);
    if (st)
        return st;
    snprintf(info->format, sizeof info->format, "%s", a->format);
    info->source_rate_hz = a->src_rate_hz;
    info->source_channels = a->channels;
    info->header_duration_s = tale_audio_duration_s(a);
    st = tale_mel_stream_new(mp, &ms, err);
    if (st)
        goto done;
    info->n_mels = tale_mel_n_mels(tale_mel_stream_mel(ms));
    buf = malloc(INFO_CHUNK * sizeof *buf);
    frame = malloc((size_t)info->n_mels * sizeof *frame);
    if (!buf || !frame) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
        goto done;
    }
    double sum2 = 0, msum = 0, msum2 = 0, peak = 0;
    double mmin = INFINITY, mmax = -INFINITY, total_ms = info->header_duration_s * 1000;
    uint64_t n = 0, nv = 0;
    for (;;) {
        size_t k;
        tale_status rst = tale_audio_read(a, buf, INFO_CHUNK, &k, err);
        for (size_t i = 0; i < k; i++) {
            sum2 += (double)buf[i] * buf[i];
            if (fabsf(buf[i]) > peak)
                peak = fabsf(buf[i]);
        }
        n += k;
        if (k && (st = tale_mel_stream_push(ms, buf, k, err)) != TALE_OK)
            break;
        if (rst != TALE_OK || k == 0) /* end of what can be read */
            tale_mel_stream_finish(ms);
        while (tale_mel_stream_next(ms, frame)) {
            for (int j = 0; j < info->n_mels; j++) {
                double v = frame[j];
                msum += v;
                msum2 += v * v;
                mmin = v < mmin ? v : mmin;
                mmax = v > mmax ? v : mmax;
            }
            nv += (uint64_t)info->n_mels;
        }
        if (progress)
            progress(n * 1000.0 / a->target_rate_hz, total_ms, user_data);
        if (rst) {
            st = rst;
            break;
        }
        if (k == 0)
            break;
    }
    info->n_samples = n;
    info->duration_s = (double)n / a->target_rate_hz;
    info->rms_dbfs = n && sum2 > 0 ? 10 * log10(sum2 / n) : -INFINITY;
    info->peak = peak;
    info->n_frames = tale_mel_stream_n_frames(ms);
    if (nv) {
        info->mel_mean = msum / nv;
        double var = msum2 / nv - info->mel_mean * info->mel_mean;
        info->mel_std = var > 0 ? sqrt(var) : 0;
        info->mel_min = mmin;
        info->mel_max = mmax;
    }
done:
    free(buf);
    free(frame);
    tale_mel_stream_free(ms);
    tale_audio_close(a);
    return st;
}
