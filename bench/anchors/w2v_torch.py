#!/usr/bin/python3
"""w2v_torch.py — the PyTorch anchor for bench/bench_w2v.c.

Runs a Hugging Face Wav2Vec2ForCTC folder (random weights from
tools/gen_w2v_model or bench_w2v) through torchaudio.models.wav2vec2_model at
the same dimensions, CPU, float32, eval mode, torch.set_num_threads(THREADS),
on the same input samples bench_w2v wrote (raw float32), normalised as
Wav2Vec2FeatureExtractor does (zero mean, unit population variance, float64).
What CoRal's users run instead of tale.  Debian: python3-torch,
python3-torchaudio, python3-numpy (run with /usr/bin/python3).

    /usr/bin/python3 bench/anchors/w2v_torch.py MODEL_DIR INPUT.f32 REPS THREADS [LOGITS_OUT.f32]

Prints one line: key=value pairs (load_s, times_s comma-separated, median_s,
frames, peak_rss_kib, base_rss_kib = RSS after importing torch, before the
model).  F16/BF16 checkpoints are upcast to float32 (what torch on CPU runs).
"""
import json
import resource
import struct
import sys
import time

import numpy as np
import torch
from torchaudio.models import wav2vec2_model


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def read_safetensors(path):
    """(name, tensor) one at a time, so loading holds one tensor beyond the model"""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        hdr = json.loads(f.read(n))
        base = 8 + n
        for name, t in hdr.items():
            if name == "__metadata__":
                continue
            b, e = t["data_offsets"]
            f.seek(base + b)
            raw = f.read(e - b)
            dt = t["dtype"]
            if dt == "F32":
                a = np.frombuffer(raw, dtype=np.float32)
            elif dt == "F16":
                a = np.frombuffer(raw, dtype=np.float16).astype(np.float32)
            elif dt == "BF16":
                u = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
                a = u.view(np.float32)
            else:
                raise SystemExit(f"{path}: tensor {name}: dtype {dt} not handled")
            yield name, torch.from_numpy(a.reshape(t["shape"]))


def hf_to_torchaudio(name):
    if name.startswith("wav2vec2.feature_extractor."):
        return name[len("wav2vec2."):]
    if name.startswith("wav2vec2.feature_projection."):
        return "encoder." + name[len("wav2vec2."):]
    if name.startswith("wav2vec2.encoder."):
        n = "encoder.transformer." + name[len("wav2vec2.encoder."):]
        n = n.replace("conv.parametrizations.weight.original0", "conv.weight_g")
        return n.replace("conv.parametrizations.weight.original1", "conv.weight_v")
    if name.startswith("lm_head."):
        return "aux." + name[len("lm_head."):]
    return None


def main():
    if len(sys.argv) < 5:
        raise SystemExit(__doc__)
    mdir, inp, reps, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    base_rss = rss_kib()
    t0 = time.perf_counter()
    cfg = json.load(open(f"{mdir}/config.json"))
    layers = list(zip(cfg["conv_dim"], cfg["conv_kernel"], cfg["conv_stride"]))
    model = wav2vec2_model(
        "layer_norm" if cfg.get("feat_extract_norm", "group") == "layer" else "group_norm",
        layers, bool(cfg.get("conv_bias", False)), cfg["hidden_size"], 0.0,
        cfg.get("num_conv_pos_embeddings", 128), cfg.get("num_conv_pos_embedding_groups", 16),
        cfg["num_hidden_layers"], cfg["num_attention_heads"], 0.0, cfg["intermediate_size"], 0.0,
        0.0, bool(cfg.get("do_stable_layer_norm", False)), 0.0, cfg["vocab_size"])
    sd = model.state_dict()  # references to the parameters: copied into in place
    seen = set()
    with torch.no_grad():
        for k, v in read_safetensors(f"{mdir}/model.safetensors"):
            n = hf_to_torchaudio(k)
            if n is None:
                continue
            if n not in sd or tuple(sd[n].shape) != tuple(v.shape):
                raise SystemExit(f"{mdir}: tensor {k} ({n}) does not fit the torchaudio model")
            sd[n].copy_(v)
            seen.add(n)
    if seen != set(sd):
        raise SystemExit(f"{mdir}: tensors missing: {sorted(set(sd) - seen)[:5]}")
    del sd
    model.eval()
    load_s = time.perf_counter() - t0
    x = np.fromfile(inp, dtype=np.float32).astype(np.float64)
    pp = json.load(open(f"{mdir}/preprocessor_config.json"))
    if pp.get("do_normalize", True):
        x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    wav = torch.from_numpy(x.astype(np.float32))[None, :]
    times = []
    with torch.inference_mode():
        for _ in range(reps):
            t = time.perf_counter()
            logits, _ = model(wav)
            times.append(time.perf_counter() - t)
    if len(sys.argv) > 5:
        logits[0].numpy().astype(np.float32).tofile(sys.argv[5])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    med = sorted(times)[len(times) // 2]
    print(f"load_s={load_s:.3f} times_s={','.join(f'{t:.3f}' for t in times)} median_s={med:.3f} "
          f"frames={logits.shape[1]} peak_rss_kib={peak} base_rss_kib={base_rss} "
          f"torch={torch.__version__} threads={torch.get_num_threads()}")


if __name__ == "__main__":
    main()
