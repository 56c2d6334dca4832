"""tale's 80-mel front end in numpy, per utterance (no padding to 30 s).

Exactly the Whisper recipe, applied to the utterance's own samples:
  - 16 kHz mono float, n_fft 400, hop 160, periodic Hann window of 400;
  - n_frames = n_samples // 160; the signal is cut to n_frames*160 samples
    and reflect-padded by 200 samples on both sides (centred frames); frame t
    covers padded[t*160 : t*160+400] (= tale_mel_compute(samples, n_samples,
    n_frames) in asr/mel.c);
  - power spectrum |X|^2 of the 201 bins, times the Slaney mel filters
    data/models/whisper-assets/mel_80.f32 ([80][201], float32 LE);
  - log10(max(mel, 1e-10)); then max(x, M - 8) with M the maximum over this
    utterance's frames (not over a 30 s padded window); then (x + 4) / 4.
tale's C side (tale_mel_compute over the whole utterance) must do the same;
tests/asr/test_ctc_model.c checks the two agree.
"""
import numpy as np

N_FFT, HOP, N_MELS = 400, 160, 80


def load_filters(path):
    return np.fromfile(path, dtype="<f4").reshape(N_MELS, N_FFT // 2 + 1)


def log_mel(audio, filters):
    """audio: float array (16 kHz, > 200 samples). Returns float32 [80, n_frames]."""
    x = np.asarray(audio, dtype=np.float64)
    n_frames = len(x) // HOP
    x = x[:n_frames * HOP]
    padded = np.pad(x, (N_FFT // 2, N_FFT // 2), mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    idx = np.arange(n_frames)[:, None] * HOP + np.arange(N_FFT)[None, :]
    frames = padded[idx] * window
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2          # [T, 201]
    mel = filters.astype(np.float64) @ power.T                 # [80, T]
    logm = np.log10(np.maximum(mel, 1e-10))
    logm = np.maximum(logm, logm.max() - 8.0)
    return ((logm + 4.0) / 4.0).astype(np.float32)
