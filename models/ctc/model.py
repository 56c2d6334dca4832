"""tale-da-ctc-small: Whisper-style audio encoder with a CTC head.

80-mel [B, 80, T] (T even: the recipe drops the last frame of an odd count) -> conv1 (k3 s1 p1) + GELU -> conv2 (k3 s2 p1) + GELU
-> + sinusoidal positions (Whisper's formula times pos_scale, rows 0..T/2-1)
-> n_layer pre-LN blocks (x += attn(attn_ln(x)); x += mlp(mlp_ln(x)),
   mlp = Linear(d,4d) GELU Linear(4d,d); attention: query/value/out with bias,
   key without, softmax(q k^T / sqrt(d_head)))
-> ln_post -> ctc_head Linear(d, n_vocab) -> log_softmax.
Parameter names are Whisper's (encoder.*) so tale's Whisper encoder code runs it.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def gelu(x):
    """Exact (erf) GELU whose backward always sees a contiguous gradient.

    Debian's torch 1.13.1 (CPU) returns an all-zero input gradient from
    GELU's backward when the incoming gradient is not contiguous, which is
    what a following transpose() hands it: the conv stem then never learned
    and training sat on the all-blank CTC plateau (docs/DEMO-MODEL.md).
    The hook makes the gradient contiguous before GELU's backward runs."""
    y = F.gelu(x)
    if y.requires_grad:
        y.register_hook(lambda g: g.contiguous())
    return y


class GELU(nn.Module):
    def forward(self, x):
        return gelu(x)


def sinusoids(length, channels, max_timescale=10000):
    inc = math.log(max_timescale) / (channels // 2 - 1)
    inv = torch.exp(-inc * torch.arange(channels // 2, dtype=torch.float64))
    t = torch.arange(length, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1).float()


class Attention(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d, bias=False)
        self.value = nn.Linear(d, d)
        self.out = nn.Linear(d, d)

    def forward(self, x, key_pad):
        B, T, D = x.shape
        h = self.n_head
        q = self.query(x).view(B, T, h, D // h).transpose(1, 2)
        k = self.key(x).view(B, T, h, D // h).transpose(1, 2)
        v = self.value(x).view(B, T, h, D // h).transpose(1, 2)
        w = (q @ k.transpose(-1, -2)) / math.sqrt(D // h)
        if key_pad is not None:
            w = w.masked_fill(key_pad[:, None, None, :], float("-inf"))
        a = torch.softmax(w, dim=-1) @ v
        return self.out(a.transpose(1, 2).reshape(B, T, D))


class Block(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.attn = Attention(d, n_head)
        self.attn_ln = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), GELU(), nn.Linear(4 * d, d))
        self.mlp_ln = nn.LayerNorm(d)

    def forward(self, x, key_pad):
        x = x + self.attn(self.attn_ln(x), key_pad)
        return x + self.mlp(self.mlp_ln(x))


class Encoder(nn.Module):
    def __init__(self, n_mels, d, n_head, n_layer, n_ctx, pos_scale=1.0):
        super().__init__()
        self.conv1 = nn.Conv1d(n_mels, d, 3, padding=1)
        self.conv2 = nn.Conv1d(d, d, 3, stride=2, padding=1)
        # pos_scale < 1 keeps the position signal from drowning the conv
        # stem's output at the start of training (small data, from scratch);
        # the scaled table is what is exported, so tale's encoder is unchanged
        self.register_buffer("positional_embedding", sinusoids(n_ctx, d) * pos_scale)
        self.blocks = nn.ModuleList([Block(d, n_head) for _ in range(n_layer)])
        self.ln_post = nn.LayerNorm(d)

    def forward(self, mel, key_pad=None, mel_frames=None):
        x = gelu(self.conv1(mel))
        if mel_frames is not None:   # zero the padding so batch == single-utterance maths
            valid = torch.arange(mel.shape[2])[None, :] < mel_frames[:, None]
            x = x * valid[:, None, :]
        x = gelu(self.conv2(x)).transpose(1, 2)
        x = x + self.positional_embedding[:x.shape[1]]
        for b in self.blocks:
            x = b(x, key_pad)
        return self.ln_post(x)


class CTCModel(nn.Module):
    def __init__(self, n_vocab, n_mels=80, d=192, n_head=4, n_layer=4, n_ctx=1500,
                 pos_scale=1.0):
        super().__init__()
        self.encoder = Encoder(n_mels, d, n_head, n_layer, n_ctx, pos_scale)
        self.ctc_head = nn.Linear(d, n_vocab)

    @staticmethod
    def out_frames(n_frames):
        return (n_frames + 1) // 2

    def forward(self, mel, mel_frames=None):
        key_pad = None
        if mel_frames is not None:
            t_out = self.out_frames(mel.shape[2])
            key_pad = torch.arange(t_out)[None, :] >= self.out_frames(mel_frames)[:, None]
        return F.log_softmax(self.ctc_head(self.encoder(mel, key_pad, mel_frames)), dim=-1)
