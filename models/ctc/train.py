"""Train tale-da-ctc-small on the features made by synth.py (CPU, seeded,
resumable: WORK/ckpt/last.pt is written every --ckpt-every steps and picked
up on restart).

Usage: train.py WORK [--steps N] [--threads 2] [--max-frames F] ...
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import CTCModel  # noqa: E402
import text as textmod  # noqa: E402


def load_shards(work, have):
    """Training shards train_NNN.npz not loaded yet (synth.py writes them one
    by one; training may start before the last one exists)."""
    import glob
    new = []
    for p in sorted(glob.glob(f"{work}/feats/train_[0-9][0-9][0-9].npz")):
        if p not in have:
            have.add(p)
            new += load(p)
    return new


def load(path):
    z = np.load(path)
    feats, frames, labels, lens = z["feats"], z["frames"], z["labels"], z["lens"]
    fo = np.concatenate([[0], np.cumsum(frames)])
    lo = np.concatenate([[0], np.cumsum(lens)])
    return [(feats[:, fo[i]:fo[i + 1]], labels[lo[i]:lo[i + 1]]) for i in range(len(frames))]


def batches(data, max_frames, rng, p_concat=0.2, sort=False):
    """Length-bucketed batches of at most max_frames padded mel frames.  An item
    is a tuple of utterance indices; a fraction p_concat are two utterances
    joined (with a space in the labels), so the model also sees 6-14 s inputs
    like whole corpus sentences."""
    order = list(range(len(data)))
    rng.shuffle(order)
    items, k = [], 0
    while k < len(order):
        if k + 1 < len(order) and rng.random() < p_concat:
            items.append((order[k], order[k + 1]))
            k += 2
        else:
            items.append((order[k],))
            k += 1

    def n_frames(it):
        return sum(data[i][0].shape[1] for i in it)
    items.sort(key=lambda it: n_frames(it) + rng.random() * 40)
    out, cur, longest = [], [], 0
    for it in items:
        n = n_frames(it)
        if cur and max(longest, n) * (len(cur) + 1) > max_frames:
            out.append(cur)
            cur, longest = [], 0
        cur.append(it)
        longest = max(longest, n)
    if cur:
        out.append(cur)
    if not sort:       # sort: shortest batches first (SortaGrad curriculum)
        rng.shuffle(out)
    return out


def even(f):
    """The model reads an even number of mel frames (the last one of an odd
    count is dropped), so conv2's stride-2 windows never reach past the end
    and tale's C encoder, which runs on 2*T frames, computes the same."""
    return f[:, :f.shape[1] - f.shape[1] % 2]


def join(data, it):
    if len(it) == 1:
        return data[it[0]]
    f = np.concatenate([data[i][0] for i in it], axis=1)
    sp = np.array([textmod.CHAR_TO_ID[" "]], dtype=data[it[0]][1].dtype)
    lab = np.concatenate([data[it[0]][1], sp, data[it[1]][1]])
    return f, lab


def collate(data, ids, specaug, rng):
    data = [join(data, it) for it in ids]
    ids = range(len(ids))
    T = max(data[i][0].shape[1] for i in ids)
    mel = torch.zeros(len(ids), 80, T)
    frames, labels, lens = [], [], []
    for b, i in enumerate(ids):
        f = torch.from_numpy(even(data[i][0]).astype(np.float32))
        n = f.shape[1]
        if specaug:
            f = f.clone()
            fill = f.min()
            for _ in range(2):
                w = rng.randint(0, 10)
                s = rng.randint(0, 80 - w)
                f[s:s + w, :] = fill
            for _ in range(max(1, n // 150)):
                w = rng.randint(0, min(20, n // 8))
                s = rng.randint(0, max(0, n - w))
                f[:, s:s + w] = fill
        mel[b, :, :n] = f
        frames.append(n)
        labels.append(torch.from_numpy(data[i][1].astype(np.int64)))
        lens.append(len(data[i][1]))
    return mel, torch.tensor(frames), torch.cat(labels), torch.tensor(lens)


def load_safetensors(path):
    """name -> float32 tensor, from a safetensors file (F32/F16 only)."""
    import struct
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, t in header.items():
            if name == "__metadata__":
                continue
            dt = {"F32": np.float32, "F16": np.float16}[t["dtype"]]
            b, e = t["data_offsets"]
            f.seek(base + b)
            a = np.frombuffer(f.read(e - b), dtype=np.dtype(dt).newbyteorder("<"))
            out[name] = torch.from_numpy(a.astype(np.float32).reshape(t["shape"]))
    return out


def init_from(model, path):
    """Warm start from an exported model (DIR/model.safetensors): every tensor
    of the same name and shape is copied.  Blocks the file lacks (a deeper
    model than the one exported) start as identity maps: their attention
    output and second MLP layer are zeroed, so the warm-started network
    computes exactly what the exported one did."""
    src = load_safetensors(os.path.join(path, "model.safetensors"))
    sd = model.state_dict()
    copied, fresh = 0, []
    with torch.no_grad():
        for name, t in sd.items():
            if name in src and tuple(src[name].shape) == tuple(t.shape):
                t.copy_(src[name])
                copied += 1
            else:
                fresh.append(name)
        for i, b in enumerate(model.encoder.blocks):
            if any(n.startswith(f"encoder.blocks.{i}.") for n in fresh):
                for lin in (b.attn.out, b.mlp[2]):
                    lin.weight.zero_()
                    lin.bias.zero_()
    print(f"init from {path}: {copied} tensors copied, {len(fresh)} new", flush=True)
    return len(fresh)


def greedy(lp):
    ids = lp.argmax(-1).tolist()
    out, prev = [], 0
    for t in ids:
        if t != prev and t != 0:
            out.append(textmod.VOCAB[t])
        prev = t
    return "".join(out)


def edit(a, b):
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        p, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            p, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, p + (a[i - 1] != b[j - 1]))
    return d[len(b)]


def evaluate(model, data, n=200):
    model.eval()
    errs = chars = werrs = words = 0
    with torch.no_grad():
        for f, l in data[:n]:
            lp = model(torch.from_numpy(even(f).astype(np.float32))[None])[0]
            hyp = greedy(lp)
            ref = "".join(textmod.VOCAB[i] for i in l)
            errs += edit(hyp, ref)
            chars += len(ref)
            werrs += edit(hyp.split(), ref.split())
            words += len(ref.split())
    model.train()
    return errs / max(1, chars), werrs / max(1, words)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-frames", type=int, default=3000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--ckpt-every", type=int, default=200)
    ap.add_argument("--ckpt-dir", default="", help="checkpoints (default WORK/ckpt)")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--specaug", type=int, default=0, help="1: SpecAugment masks")
    ap.add_argument("--concat", type=float, default=0.1, help="fraction of joined pairs")
    ap.add_argument("--pos-scale", type=float, default=0.1)
    ap.add_argument("--conv-gain", type=float, default=5.0, help="conv stem init scale")
    ap.add_argument("--subset", type=int, default=16)
    ap.add_argument("--subset-steps", type=int, default=100,
                    help="steps on a small subset first (plateau breaker)")
    ap.add_argument("--sortagrad", type=int, default=1,
                    help="epochs (counted from 0) whose batches go shortest first")
    ap.add_argument("--replan", action="store_true", help="on resume, re-plan the epoch")
    ap.add_argument("--init", default="",
                    help="warm start from an exported model folder (e.g. the committed one); "
                         "extra layers start as identity blocks, no plateau breaker needed")
    ap.add_argument("--stop-at", type=int, default=0,
                    help="stop at this step (the schedule still runs to --steps)")
    ap.add_argument("--bench", type=int, default=0, help="time N steps and exit")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    shards = set()
    train = load_shards(a.work, shards)
    while not train:               # synth.py has not written a shard yet
        time.sleep(10)
        train = load_shards(a.work, shards)
    valid = load(f"{a.work}/feats/valid.npz")
    model = CTCModel(len(textmod.VOCAB), d=a.d, n_head=a.heads, n_layer=a.layers,
                     pos_scale=a.pos_scale)
    if a.init:
        init_from(model, a.init)
        a.subset_steps = 0
    else:
        with torch.no_grad():   # a strong content signal from the start (see docs/DEMO-MODEL.md)
            model.encoder.conv1.weight.mul_(a.conv_gain)
            model.encoder.conv2.weight.mul_(a.conv_gain)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01, betas=(0.9, 0.98))
    ckdir = a.ckpt_dir or f"{a.work}/ckpt"
    os.makedirs(ckdir, exist_ok=True)
    step, epoch, pos, elapsed = 0, 0, 0, 0.0
    rng = random.Random(a.seed)
    plan = batches(train, a.max_frames, rng, a.concat, a.sortagrad > 0)
    if os.path.exists(f"{ckdir}/last.pt") and not a.bench:
        ck = torch.load(f"{ckdir}/last.pt")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, epoch, pos, elapsed = ck["step"], ck["epoch"], ck["pos"], ck["elapsed"]
        rng.setstate(ck["rng"])
        plan = ck["plan"]
        torch.set_rng_state(ck["torch_rng"])
        if a.replan:   # a new plan for the rest of this epoch (e.g. new --sortagrad)
            train += load_shards(a.work, shards)
            plan = batches(train, a.max_frames, rng, a.concat, epoch < a.sortagrad)
            pos = 0
        print(f"resumed at step {step}", flush=True)
    nparam = sum(p.numel() for p in model.parameters())
    print(f"params {nparam}, train {len(train)} utts, {len(plan)} batches/epoch", flush=True)
    if a.init and step == 0:
        cer, wer = evaluate(model, valid)
        print(f"valid step 0 (warm start): greedy CER {cer:.4f} WER {wer:.4f}", flush=True)
    t0 = time.time()
    run_loss, run_n = 0.0, 0
    if a.subset_steps and step == 0:
        # break the all-blank plateau: a few steps on a small fixed subset
        # (memorising it makes the encoder listen to its input), then go on
        sub = train[:a.subset]
        sub_rng = random.Random(a.seed + step)
        for k in range(a.subset_steps):
            ids = [(i,) for i in sub_rng.sample(range(len(sub)), 8)]
            mel, frames, labels, lens = collate(sub, ids, False, sub_rng)
            lp = model(mel, frames)
            loss = F.ctc_loss(lp.transpose(0, 1), labels, CTCModel.out_frames(frames), lens,
                              blank=0, reduction="mean", zero_infinity=True)
            opt.zero_grad()
            loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            if torch.isfinite(loss) and torch.isfinite(gn):
                for g in opt.param_groups:
                    g["lr"] = a.lr
                opt.step()
            if k % 10 == 0:
                print(f"subset step {k} loss {loss.item():.3f}", flush=True)
    end = min(a.steps, a.stop_at) if a.stop_at > 0 else a.steps
    while step < end:
        if pos >= len(plan):
            epoch += 1
            pos = 0
            train += load_shards(a.work, shards)
            plan = batches(train, a.max_frames, rng, a.concat, epoch < a.sortagrad)
            print(f"epoch {epoch}: {len(train)} utts, {len(plan)} batches", flush=True)
        ids = plan[pos]
        pos += 1
        lr = a.lr * min(1.0, (step + 1) / a.warmup) * \
            0.5 * (1 + math.cos(math.pi * min(1.0, step / a.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        mel, frames, labels, lens = collate(train, ids, a.specaug, rng)
        lp = model(mel, frames)
        loss = F.ctc_loss(lp.transpose(0, 1), labels, CTCModel.out_frames(frames), lens,
                          blank=0, reduction="mean", zero_infinity=True)
        opt.zero_grad()
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        if not (torch.isfinite(loss) and torch.isfinite(gn)):
            print(f"step {step}: non-finite loss/gradient, batch skipped", flush=True)
            continue       # (the step counter stays: the schedule is unchanged)
        opt.step()
        step += 1
        run_loss += loss.item()
        run_n += 1
        if a.bench and step >= a.bench:
            dt = time.time() - t0
            print(f"bench: {dt / step:.3f} s/step, {len(ids)} utts/batch last", flush=True)
            return
        if step % 25 == 0:
            now = elapsed + time.time() - t0
            print(f"step {step} epoch {epoch} loss {run_loss / run_n:.3f} lr {lr:.2e} "
                  f"time {now:.0f}s", flush=True)
            run_loss, run_n = 0.0, 0
        if step % a.ckpt_every == 0 or step == end:
            torch.save(dict(model=model.state_dict(), opt=opt.state_dict(), step=step,
                            epoch=epoch, pos=pos, elapsed=elapsed + time.time() - t0,
                            rng=rng.getstate(), plan=plan, torch_rng=torch.get_rng_state(),
                            args=vars(a)), f"{ckdir}/last.tmp")
            os.replace(f"{ckdir}/last.tmp", f"{ckdir}/last.pt")
        if step % a.eval_every == 0 or step == end:
            cer, wer = evaluate(model, valid)
            print(f"valid step {step}: greedy CER {cer:.4f} WER {wer:.4f}", flush=True)
    total = elapsed + time.time() - t0
    with open(f"{ckdir}/done.json", "w") as f:
        json.dump(dict(steps=step, epochs=epoch, train_seconds=round(total), args=vars(a),
                       params=nparam, train_utterances=len(train),
                       shards=sorted(os.path.basename(x) for x in shards)), f, indent=1)
    print(f"done: {step} steps, {total:.0f} s", flush=True)


if __name__ == "__main__":
    main()
