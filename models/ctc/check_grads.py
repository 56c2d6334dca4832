"""Self-test run before training: the float32 gradients of a small CTCModel
match float64 ones (CPU kernels differ by dtype). It caught a Debian torch
1.13.1 bug (GELU's backward returned zeros for non-contiguous incoming
gradients, so the conv stem never trained; see docs/DEMO-MODEL.md) and
guards against the next one. Exit status 1 on a mismatch.

Usage: check_grads.py
"""
import copy
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import CTCModel  # noqa: E402
import text as textmod  # noqa: E402


def main():
    torch.manual_seed(1)
    torch.set_num_threads(1)
    m = CTCModel(len(textmod.VOCAB), d=64, n_head=4, n_layer=2, pos_scale=0.1)
    frames = torch.tensor([220, 164, 274, 354])
    mel = torch.randn(4, 80, 354) * 0.5
    for b, n in enumerate(frames.tolist()):
        mel[b, :, n:] = 0
    lens = torch.tensor([30, 20, 40, 50])
    labels = torch.randint(1, len(textmod.VOCAB), (int(lens.sum()),))

    def grads(model, x):
        lp = model(x, frames)
        loss = F.ctc_loss(lp.transpose(0, 1), labels, CTCModel.out_frames(frames), lens,
                          blank=0, reduction="mean", zero_infinity=True)
        model.zero_grad()
        loss.backward()
        return {n: p.grad.detach().double().clone() for n, p in model.named_parameters()}

    g32 = grads(m, mel)
    g64 = grads(copy.deepcopy(m).double(), mel.double())
    bad = [n for n in g32
           if ((g32[n] - g64[n]).norm() / (g64[n].norm() + 1e-12)).item() > 1e-3]
    for n in bad:
        print(f"check_grads: {n}: float32 gradient differs from float64 "
              f"(norms {g32[n].norm().item():.4g} vs {g64[n].norm().item():.4g})", file=sys.stderr)
    print(f"check_grads: {len(g32)} parameter gradients, {len(bad)} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
