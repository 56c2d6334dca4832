/* fuzz_audio.c — the audio file reader (asr/audio.c: libsndfile for WAV,
 * FLAC, Ogg, MP3, AIFF, … plus tale's own checks of the header, the
 * truncation notes and resampling to 16 kHz).  The input is written to a
 * file and streamed through tale_audio_open/tale_audio_read.  A tiny file
 * may legitimately describe hours of audio (a low rate, a compressed
 * stream), so reading stops after MAX_OUT samples. */
#include "common.h"
#include "tale_asr.h"

#include <math.h>
#include <string.h>

#define MAX_OUT (1u << 19) /* 33 s at 16 kHz */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("in.audio");
    fuzz_write(path, data, size);
    tale_audio *a = NULL;
    tale_error err;
    tale_audio_params p = tale_audio_default_params();
    if (tale_audio_open(path, &p, &a, &err) != TALE_OK) {
        if (a)
            fuzz_fail("failed open left *out set");
        if (!strstr(err.msg, path))
            fuzz_fail("error message does not name the file: %s", err.msg);
        return 0;
    }
    if (tale_audio_source_rate_hz(a) <= 0 || tale_audio_source_channels(a) <= 0 ||
        !tale_audio_format(a))
        fuzz_fail("opened with rate %d, %d channels", tale_audio_source_rate_hz(a),
                  tale_audio_source_channels(a));
    (void)tale_audio_duration_s(a);
    static float buf[4096];
    size_t total = 0, n = 0;
    tale_status st;
    while ((st = tale_audio_read(a, buf, 4096, &n, &err)) == TALE_OK && n > 0) {
        if (n > 4096)
            fuzz_fail("read %zu samples into a 4096-sample buffer", n);
        for (size_t i = 0; i < n; i++)
            if (!isfinite(buf[i]))
                fuzz_fail("sample %zu is not finite", total + i);
        total += n;
        if (total >= MAX_OUT)
            break;
    }
    if (st == TALE_OK && n == 0) {
        /* end of audio: further reads stay at the end */
        if (tale_audio_read(a, buf, 4096, &n, &err) != TALE_OK || n != 0)
            fuzz_fail("a read after the end returned %zu samples", n);
    } else if (st != TALE_OK && n != 0) {
        fuzz_fail("a failed read delivered %zu samples", n);
    }
    if (tale_audio_samples_read(a) != total)
        fuzz_fail("tale_audio_samples_read %llu, delivered %zu",
                  (unsigned long long)tale_audio_samples_read(a), total);
    tale_audio_close(a);
    return 0;
}
