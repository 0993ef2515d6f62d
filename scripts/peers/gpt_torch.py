#!/usr/bin/env python3
"""PyTorch peer of shard4j's GPT-2 model: the same weights, the same batches, the same steps.

shard4j's side-by-side check writes three files, runs this script (with the interpreter that
scripts/peers/ensure-torch.sh prints) and compares its per-step losses with its own:

  --config run.json      {"layers","heads","width","context","vocab","batch","seq","steps","accum",
                          "lr","min_lr","warmup","weight_decay","beta1","beta2","eps","grad_clip",
                          "dtype":"float32"} (other keys are ignored)
  --weights init.safetensors   every parameter of the model below, F32, names as nn.Module gives them
  --batches batches.bin  raw little-endian int32 [steps, accum, batch, seq + 1]; inputs are
                         [..., :seq], targets [..., 1:]
  --threads N            torch intra-op threads (default: the CPUs this process may use)
  --out metrics.jsonl    also write the step lines there

Output (stdout): one JSON line per step {"step","loss","grad_norm","lr","tokens_per_s","seconds"},
then {"summary": true, "torch", "threads", "tokens_per_s"} (mean over the steps after the first).
The loss of a step is the mean of its micro-batch losses before the update; grad_norm is the total
L2 norm before clipping. Errors go to stderr with exit status 2.

The model is GPT-2 written out by hand (pre-LayerNorm blocks, causal attention without dropout,
tanh GELU, tied output head) so that each line is visibly the math shard4j implements. It runs in
torch 1.13 (Debian) and 2.x; there is no randomness, so a run is a pure function of its inputs.
"""
import argparse
import inspect
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIG_KEYS = ("layers", "heads", "width", "context", "vocab", "batch", "seq", "steps", "accum",
               "lr", "min_lr", "warmup", "weight_decay", "beta1", "beta2", "eps", "grad_clip",
               "dtype")


class Fail(Exception):
    """Bad input: reported on stderr without a traceback."""


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.c_attn = nn.Linear(width, 3 * width)
        self.c_proj = nn.Linear(width, width)

    def forward(self, x):
        B, T, C = x.shape
        hs = C // self.heads
        # q, k, v are the three C-wide column blocks; head h owns features h*hs .. (h+1)*hs-1
        q, k, v = (t.view(B, T, self.heads, hs).transpose(1, 2)
                   for t in self.c_attn(x).split(C, dim=2))
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        future = torch.ones(T, T, dtype=torch.bool).triu(diagonal=1)
        scores = scores.masked_fill(future, float("-inf"))
        y = F.softmax(scores, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Mlp(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.c_fc = nn.Linear(width, 4 * width)
        self.c_proj = nn.Linear(4 * width, width)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width, eps=1e-5)
        self.attn = Attention(width, heads)
        self.ln_2 = nn.LayerNorm(width, eps=1e-5)
        self.mlp = Mlp(width)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Gpt(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wte = nn.Embedding(cfg["vocab"], cfg["width"])
        self.wpe = nn.Embedding(cfg["context"], cfg["width"])
        self.h = nn.ModuleList(Block(cfg["width"], cfg["heads"]) for _ in range(cfg["layers"]))
        self.ln_f = nn.LayerNorm(cfg["width"], eps=1e-5)

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe.weight[:T]
        for block in self.h:
            x = block(x)
        logits = F.linear(self.ln_f(x), self.wte.weight)  # tied head, no bias
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))


def read_config(path):
    with open(path) as f:
        cfg = json.load(f)
    missing = [k for k in CONFIG_KEYS if k not in cfg]
    if missing:
        raise Fail(f"{path}: missing keys {missing}")
    if cfg["dtype"] != "float32":
        raise Fail(f"{path}: dtype {cfg['dtype']!r}: only float32 is supported")
    for k in ("layers", "heads", "width", "context", "vocab", "batch", "seq", "steps", "accum"):
        if not isinstance(cfg[k], int) or cfg[k] < 1:
            raise Fail(f"{path}: {k} must be a positive integer, got {cfg[k]!r}")
    if cfg["width"] % cfg["heads"]:
        raise Fail(f"{path}: width {cfg['width']} is not a multiple of heads {cfg['heads']}")
    if cfg["seq"] > cfg["context"]:
        raise Fail(f"{path}: seq {cfg['seq']} exceeds context {cfg['context']}")
    return cfg


def read_safetensors(path):
    """name -> float32 tensor; the format is parsed here so that no safetensors package is needed."""
    with open(path, "rb") as f:
        raw = bytearray(f.read())  # writable, so torch.frombuffer does not warn
    if len(raw) < 8:
        raise Fail(f"{path}: too short for a safetensors file")
    (header_len,) = struct.unpack("<Q", raw[:8])
    if 8 + header_len > len(raw):
        raise Fail(f"{path}: header length {header_len} runs past the end of the file")
    header = json.loads(raw[8:8 + header_len].decode("utf-8"))
    header.pop("__metadata__", None)
    data = memoryview(raw)[8 + header_len:]
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise Fail(f"{path}: {name} has dtype {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        count = math.prod(entry["shape"])
        if not 0 <= begin <= end <= len(data) or end - begin != 4 * count:
            raise Fail(f"{path}: {name} has data_offsets {begin}..{end} for shape {entry['shape']}")
        flat = torch.frombuffer(data[begin:end], dtype=torch.float32) if count else torch.empty(0)
        tensors[name] = flat.clone().view(entry["shape"])
    return tensors


def load_weights(model, tensors, path):
    params = dict(model.named_parameters())
    missing = sorted(set(params) - set(tensors))
    extra = sorted(set(tensors) - set(params))
    if missing or extra:
        raise Fail(f"{path}: missing {missing}, unexpected {extra}")
    with torch.no_grad():
        for name, p in params.items():
            if tuple(tensors[name].shape) != tuple(p.shape):
                raise Fail(f"{path}: {name} has shape {list(tensors[name].shape)}, "
                           f"expected {list(p.shape)}")
            p.copy_(tensors[name])


def read_batches(path, cfg):
    shape = (cfg["steps"], cfg["accum"], cfg["batch"], cfg["seq"] + 1)
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    if len(raw) != 4 * math.prod(shape):
        raise Fail(f"{path}: {len(raw)} bytes, expected {4 * math.prod(shape)} for int32 {list(shape)}")
    tokens = torch.frombuffer(raw, dtype=torch.int32).to(torch.int64).view(shape)
    if tokens.min() < 0 or tokens.max() >= cfg["vocab"]:
        raise Fail(f"{path}: token ids span {int(tokens.min())}..{int(tokens.max())}, "
                   f"vocab is {cfg['vocab']}")
    return tokens[..., :-1].contiguous(), tokens[..., 1:].contiguous()


def learning_rate(cfg, step):
    lr, min_lr, warmup, steps = cfg["lr"], cfg["min_lr"], cfg["warmup"], cfg["steps"]
    if warmup > 0 and step <= warmup:
        return lr * step / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return min_lr + 0.5 * (lr - min_lr) * (1.0 + math.cos(math.pi * progress))


def make_optimizer(model, cfg):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg["weight_decay"]},
              {"params": no_decay, "weight_decay": 0.0}]
    options = {"lr": cfg["lr"], "betas": (cfg["beta1"], cfg["beta2"]), "eps": cfg["eps"]}
    # the plain per-parameter loop is the reference; foreach/fused kernels may round differently
    if "foreach" in inspect.signature(torch.optim.AdamW.__init__).parameters:
        options["foreach"] = False
    return torch.optim.AdamW(groups, **options)


def total_grad_norm(params):
    """L2 norm of all gradients, computed as clip_grad_norm_ does (a norm of the per-tensor norms)."""
    return torch.norm(torch.stack([torch.norm(p.grad.detach(), 2) for p in params]), 2)


def train(cfg, model, inputs, targets, out):
    params = list(model.parameters())
    optimizer = make_optimizer(model, cfg)
    tokens_per_step = cfg["batch"] * cfg["seq"] * cfg["accum"]
    rates = []
    for step in range(1, cfg["steps"] + 1):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=False)
        losses = []
        for j in range(cfg["accum"]):
            loss = model(inputs[step - 1, j], targets[step - 1, j])
            (loss / cfg["accum"]).backward()
            losses.append(loss.item())
        if cfg["grad_clip"] > 0:
            norm = torch.nn.utils.clip_grad_norm_(params, cfg["grad_clip"])
        else:
            norm = total_grad_norm(params)
        lr = learning_rate(cfg, step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.step()
        seconds = time.perf_counter() - start
        rates.append(tokens_per_step / seconds)
        emit({"step": step, "loss": sum(losses) / len(losses), "grad_norm": float(norm), "lr": lr,
              "tokens_per_s": rates[-1], "seconds": seconds}, out)
    return rates


def emit(record, out):
    line = json.dumps(record)
    print(line, flush=True)
    if out is not None:
        out.write(line + "\n")
        out.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--batches", required=True)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.threads < 1:
        raise Fail(f"--threads must be at least 1, got {args.threads}")
    if sys.byteorder != "little":
        raise Fail("the input files are little-endian and are read as native memory")
    torch.set_num_threads(args.threads)

    cfg = read_config(args.config)
    model = Gpt(cfg)
    load_weights(model, read_safetensors(args.weights), args.weights)
    inputs, targets = read_batches(args.batches, cfg)
    out = open(args.out, "w") if args.out else None
    try:
        rates = train(cfg, model, inputs, targets, out)
        later = rates[1:] or rates
        emit({"summary": True, "torch": torch.__version__, "threads": torch.get_num_threads(),
              "tokens_per_s": sum(later) / len(later)}, out)
    finally:
        if out is not None:
            out.close()


if __name__ == "__main__":
    try:
        main()
    except (Fail, OSError, ValueError, KeyError, TypeError) as e:
        print(f"gpt_torch.py: error: {e}", file=sys.stderr)
        sys.exit(2)
