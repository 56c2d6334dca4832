"""Synthetic Danish speech for tale-da-ctc-small: espeak-ng -v da with many
voice variants, rates and pitches, then augmentation (speed, reverberation,
band-limiting, noise at 5-30 dB SNR, gain) and tale's log-mel features.

Usage: synth.py DATA_DIR WORK_DIR [N_TRAIN]   (N_TRAIN 0: only the held-out eval WAVs)
Writes WORK_DIR/feats/valid.npz and train_NNN.npz (shards of 500) (features f16 + labels) and the
held-out evaluation WAVs WORK_DIR/eval/{clean,snr10}/NNNN.wav with
WORK_DIR/eval/{clean,snr10}.tsv (file<TAB>reference). Seeded; 2 processes.
"""
import io
import json
import os
import random
import subprocess
import sys
import wave
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import features  # noqa: E402
import text as textmod  # noqa: E402

SR = 16000
SHARD = 500
# Voice variants never used in training (held-out evaluation voices).
HELDOUT_VOICES = ["m3", "f4", "klatt4", "Andy", "Lee", "rob", "anika", "Mike"]
_FILTERS = None


def all_variants():
    out = subprocess.run(["espeak-ng", "--voices=variant"], capture_output=True,
                         text=True, check=True).stdout.splitlines()[1:]
    names = []
    for line in out:
        f = line.split()
        if len(f) >= 5 and f[4].startswith("!v/"):
            names.append(f[4][3:])
    return sorted(set(names))


def espeak(text, voice, rate, pitch):
    wav = subprocess.run(["espeak-ng", "-v", f"da+{voice}", "-s", str(rate),
                          "-p", str(pitch), "--stdout", text],
                         capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(wav)) as w:
        sr = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return x.astype(np.float64) / 32768.0, sr


def resample(x, sr_in, speed=1.0):
    """FFT resampling from sr_in to 16 kHz; speed > 1 shortens (and raises pitch)."""
    n_out = int(round(len(x) * SR / (sr_in * speed)))
    X = np.fft.rfft(x)
    k = n_out // 2 + 1
    Y = np.zeros(k, dtype=complex)
    m = min(k, len(X))
    Y[:m] = X[:m]
    return np.fft.irfft(Y, n_out) * (n_out / len(x))


def band_limit(x, rng):
    X = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1.0 / SR)
    lo = rng.uniform(50, 400)
    hi = rng.uniform(3000, 7500)
    gain = 1.0 / (1.0 + (f / hi) ** 8) * (1.0 - 1.0 / (1.0 + (f / lo) ** 4))
    return np.fft.irfft(X * gain, len(x))


def reverb(x, rng):
    rt60 = rng.uniform(0.15, 0.7)
    n = int(rt60 * SR)
    t = np.arange(n) / SR
    rir = rng_normal(rng, n) * np.exp(-6.9 * t / rt60)
    rir[0] = 1.0 / rng.uniform(0.2, 1.0)     # direct path vs reverberant level
    y = np.fft.irfft(np.fft.rfft(x, len(x) + n) * np.fft.rfft(rir, len(x) + n))
    return y[:len(x)]


def rng_normal(rng, n):
    return np.random.default_rng(rng.randrange(1 << 30)).standard_normal(n)


def noise(x, rng, snr_db):
    n = rng_normal(rng, len(x))
    kind = rng.random()
    if kind < 0.4:      # pink-ish / brown-ish: shape white noise by 1/f^a
        a = rng.uniform(0.5, 2.0)
        N = np.fft.rfft(n)
        f = np.maximum(np.fft.rfftfreq(len(n), 1.0 / SR), 20.0)
        n = np.fft.irfft(N / f ** (a / 2), len(n))
    p_sig = np.mean(x ** 2) + 1e-12
    p_n = np.mean(n ** 2) + 1e-12
    return x + n * np.sqrt(p_sig / (p_n * 10 ** (snr_db / 10)))


def render(job):
    """job: dict(text, voice, rate, pitch, seed, aug, snr). Returns float64 16 kHz."""
    rng = random.Random(job["seed"])
    x, sr = espeak(job["text"], job["voice"], job["rate"], job["pitch"])
    speed = rng.uniform(0.9, 1.1) if job["aug"] else 1.0
    x = resample(x, sr, speed)
    if job["aug"]:
        pad = rng.randint(0, 4000), rng.randint(0, 4000)
        x = np.pad(x, pad)
        if rng.random() < 0.3:
            x = reverb(x, rng)
        if rng.random() < 0.3:
            x = band_limit(x, rng)
        if rng.random() < 0.6:
            x = noise(x, rng, rng.uniform(5, 30))
        peak = np.max(np.abs(x)) + 1e-9
        x = x / peak * 10 ** (rng.uniform(-30, 0) / 20)
    if job.get("snr") is not None:
        x = noise(x, rng, job["snr"])
    return np.clip(x, -1.0, 1.0)


def _init(filters_path):
    global _FILTERS
    _FILTERS = features.load_filters(filters_path)


def feat_job(job):
    x = render(job)
    return features.log_mel(x, _FILTERS).astype(np.float16), textmod.encode(job["text"])


def wav_job(job):
    x = render(job)
    pcm = (np.clip(x, -1, 1) * 32767).astype("<i2")
    with wave.open(job["path"], "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())
    return job["path"]


def save(path, items):
    tmp = path + ".tmp.npz"
    _save(tmp, items)
    os.replace(tmp, path)


def _save(path, items):
    feats = [f for f, _ in items]
    labels = [np.asarray(l, dtype=np.int16) for _, l in items]
    np.savez(path, feats=np.concatenate(feats, axis=1),
             frames=np.array([f.shape[1] for f in feats], dtype=np.int64),
             labels=np.concatenate(labels),
             lens=np.array([len(l) for l in labels], dtype=np.int64))


def main():
    data_dir, work = sys.argv[1], sys.argv[2]
    n_train = int(sys.argv[3]) if len(sys.argv) > 3 else 12000
    rng = random.Random(1234)
    train_txt, heldout_txt, counts = textmod.load_sentences(data_dir)
    voices = [v for v in all_variants() if v not in HELDOUT_VOICES]
    rng.shuffle(train_txt)
    valid_txt, train_txt = train_txt[:200], train_txt[200:200 + n_train]

    def jobs(texts, vs, aug, snr=None):
        return [dict(text=t, voice=rng.choice(vs), rate=rng.randint(120, 230),
                     pitch=rng.randint(20, 80), seed=rng.randrange(1 << 30),
                     aug=aug, snr=snr) for t in texts]

    os.makedirs(f"{work}/feats", exist_ok=True)
    filters = f"{data_dir}/models/whisper-assets/mel_80.f32"
    ho_sel = sorted(heldout_txt)[:]
    rng.shuffle(ho_sel)
    ho_sel = ho_sel[:300]
    eval_jobs = {}
    for cond, snr in (("clean", None), ("snr10", 10.0)):
        eval_jobs[cond] = jobs(ho_sel, HELDOUT_VOICES, False, snr)
    valid_jobs = jobs(valid_txt, HELDOUT_VOICES, True)
    tj = jobs(train_txt, voices, True)
    with Pool(2, initializer=_init, initargs=(filters,)) as pool:
        for cond, js in eval_jobs.items():
            d = f"{work}/eval/{cond}"
            if os.path.exists(f"{work}/eval/{cond}.tsv"):
                continue
            os.makedirs(d, exist_ok=True)
            for i, j in enumerate(js):
                j["path"] = f"{d}/{i:04d}.wav"
            pool.map(wav_job, js, chunksize=8)
            with open(f"{work}/eval/{cond}.tsv.tmp", "w", encoding="utf-8") as f:
                for j in js:
                    f.write(f"{os.path.basename(j['path'])}\t{j['text']}\t{j['voice']}\n")
            os.replace(f"{work}/eval/{cond}.tsv.tmp", f"{work}/eval/{cond}.tsv")
        if n_train == 0:
            return
        if not os.path.exists(f"{work}/feats/valid.npz"):
            save(f"{work}/feats/valid.npz", pool.map(feat_job, valid_jobs, chunksize=8))
        # training features in shards of SHARD utterances, so training can
        # start on the first shards while the rest are being made
        for k in range(0, len(tj), SHARD):
            path = f"{work}/feats/train_{k // SHARD:03d}.npz"
            if os.path.exists(path):
                continue
            save(path, pool.map(feat_job, tj[k:k + SHARD], chunksize=16))
            print(f"synth: {min(k + SHARD, len(tj))}/{len(tj)}", flush=True)
    with open(f"{work}/feats/info.json", "w") as f:
        json.dump(dict(counts, n_train=len(tj), n_valid=len(valid_txt),
                       n_heldout=len(ho_sel), train_voices=voices,
                       heldout_voices=HELDOUT_VOICES,
                       ), f, indent=1)


if __name__ == "__main__":
    main()
