"""Export a trained checkpoint to tale's model folder:
  OUT/model.safetensors  float32 tensors, Whisper encoder names + ctc_head.*
  OUT/config.json        architecture, front end, vocabulary (index = CTC class)
  OUT/vocab.json         the same vocabulary as {token: id}
  OUT/testvec.safetensors  one short utterance: int16 audio, the recipe's
                           log-mel and the model's log-probs (C tests)
Usage: export.py WORK OUT [DATA_DIR] [CKPT_DIR]   (CKPT_DIR default WORK/ckpt)
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import CTCModel  # noqa: E402
import features  # noqa: E402
import synth  # noqa: E402
import text as textmod  # noqa: E402

_DT = {np.dtype("float32"): "F32", np.dtype("int16"): "I16", np.dtype("float16"): "F16"}


def write_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> numpy array (C-contiguous, little-endian)."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": _DT[a.dtype], "shape": list(a.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def main():
    work, out = sys.argv[1], sys.argv[2]
    data_dir = sys.argv[3] if len(sys.argv) > 3 else "data"
    ckdir = sys.argv[4] if len(sys.argv) > 4 else f"{work}/ckpt"
    ck = torch.load(f"{ckdir}/last.pt")
    a = ck["args"]
    model = CTCModel(len(textmod.VOCAB), d=a["d"], n_head=a["heads"], n_layer=a["layers"],
                     pos_scale=a.get("pos_scale", 1.0))
    model.load_state_dict(ck["model"])
    model.eval()
    os.makedirs(out, exist_ok=True)
    sd = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    write_safetensors(f"{out}/model.safetensors", sd,
                      {"format": "tale-ctc", "model": "tale-da-ctc-small"})
    prev = {}   # a warm start from the model being replaced: keep its history
    if a.get("init") and os.path.exists(f"{out}/config.json"):
        prev = json.load(open(f"{out}/config.json", encoding="utf-8")).get("training", {})
    done = {}
    if os.path.exists(f"{ckdir}/done.json"):
        done = json.load(open(f"{ckdir}/done.json"))
    cfg = {
        "model_type": "tale-ctc",
        "name": "tale-da-ctc-small",
        "language": "da",
        "note": "trained on synthetic espeak-ng speech only; not for real recordings",
        "sample_rate": 16000, "n_fft": 400, "hop_length": 160, "n_mels": 80,
        "mel_filters": "whisper mel_80 (Slaney)",
        "mel_normalization": "per-utterance: log10(max(mel,1e-10)), max(x, max-8), (x+4)/4",
        "n_audio_state": a["d"], "n_audio_head": a["heads"], "n_audio_layer": a["layers"],
        "n_audio_ctx": 1500, "conv_stride": 2, "frames_per_second": 50,
        "n_vocab": len(textmod.VOCAB), "blank_id": 0,
        "vocab": textmod.VOCAB, "word_delimiter": " ",
        "training": {"steps": ck["step"], "epochs": ck["epoch"],
                     "seconds": done.get("train_seconds", round(ck["elapsed"])),
                     "seed": a["seed"]},
    }
    if prev:
        cfg["training"]["warm_start_from"] = prev
    with open(f"{out}/config.json", "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(f"{out}/vocab.json", "w", encoding="utf-8") as f:   # Hugging Face style
        json.dump({t: i for i, t in enumerate(textmod.VOCAB)}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    # Test vector: a short utterance by a held-out voice, no augmentation.
    x = synth.render(dict(text="god dag", voice=synth.HELDOUT_VOICES[0], rate=175,
                          pitch=50, seed=7, aug=False, snr=None))
    pcm = (np.clip(x, -1, 1) * 32767).astype(np.int16)
    audio = pcm.astype(np.float64) / 32768.0
    mel = features.log_mel(audio, features.load_filters(
        f"{data_dir}/models/whisper-assets/mel_80.f32"))
    with torch.no_grad():
        lp = model(torch.from_numpy(mel[:, :mel.shape[1] // 2 * 2])[None])[0]
        lp = lp.numpy().astype(np.float32)
    write_safetensors(f"{out}/testvec.safetensors",
                      {"audio_i16": pcm, "mel": mel, "logprobs": lp},
                      {"text": "god dag", "greedy": _greedy(lp)})
    print(f"exported {out}: {os.path.getsize(out + '/model.safetensors')} bytes; "
          f"testvec {len(pcm)} samples, greedy '{_greedy(lp)}'")


def _greedy(lp):
    out, prev = [], 0
    for t in lp.argmax(-1).tolist():
        if t != prev and t != 0:
            out.append(textmod.VOCAB[t])
        prev = t
    return "".join(out)


if __name__ == "__main__":
    main()
