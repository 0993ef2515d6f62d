#!/usr/bin/env python3
"""PyTorch doing the work of each shard4j kernel, on the same GPU, in the same run.

Reads the JSON that `shard4j bench kernels --device cuda:0 --json F` wrote, runs PyTorch's way of
doing each of those kernels (the ops FSDP2 itself uses where it has one) on buffers of the same
element counts, and prints one table: operation, our GB/s, PyTorch's GB/s, the ratio, and each as
a fraction of the device copy bandwidth that PyTorch's own copy_ reaches here and now. Both sides
are charged the same minimal bytes (from our JSON), so GB/s compares time for the same work.
Timing: CUDA events around each run, warm-up first, median of the repeats. With --device cpu
the same script runs on the host (wall-clock timing), to check it where there is no GPU.
"""
import argparse
import json
import random
import statistics
import sys
import time

import torch

WORLD = 8
DEVICE = "cuda"


def median_seconds(fn, repeats):
    for _ in range(3):
        fn()
    if DEVICE == "cpu":
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return statistics.median(times)


def uniform(n, dtype):
    return torch.empty(n, dtype=torch.float32, device=DEVICE).uniform_(-1, 1).to(dtype)


def pieces(total, dtype, rng):
    """Parameter-like tensors of random sizes adding up to total, as the Java benchmark makes them."""
    sizes, left = [], total
    while left > 0:
        n = min(left, 1 + rng.randrange(max(2, total // 64)))
        sizes.append(n)
        left -= n
    return [uniform(n, dtype) for n in sizes], sizes


def params_2d(n, rng):
    """Sixteen (rows, cols) parameters of about n / 16 elements, rows not divisible by the world size."""
    shapes = []
    for _ in range(16):
        rows = 1000 + rng.randrange(3000)
        shapes.append((rows, max(1, (n // 16) // rows)))
    return shapes


def padded_rows(rows):
    return (rows + WORLD - 1) // WORLD * WORLD


def cases(n, rng):
    """name prefix -> a function running PyTorch's version once."""
    found = {}

    src, dst = uniform(n, torch.float32), uniform(n, torch.float32)
    found["copy f32"] = lambda: dst.copy_(src)

    f32_srcs, f32_sizes = pieces(n, torch.float32, rng)
    flat_bf16 = uniform(n, torch.bfloat16)
    f32_views = list(flat_bf16.split(f32_sizes))
    found["pack f32->bf16"] = lambda: torch._foreach_copy_(f32_views, f32_srcs)

    bf16_srcs, _ = pieces(n, torch.bfloat16, rng)
    found["pack bf16->bf16"] = lambda: torch.cat(bf16_srcs, out=flat_bf16)

    shapes = params_2d(n, rng)
    chunk_numels = [padded_rows(r) // WORLD * c for r, c in shapes]
    shard = sum(chunk_numels)
    gathered = uniform(WORLD * shard, torch.bfloat16)
    # FSDP2's copy-out: split_with_sizes_copy into padded unsharded buffers, viewed [world, chunk].
    padded_bf16 = [torch.empty(WORLD * c, dtype=torch.bfloat16, device=DEVICE) for c in chunk_numels]
    outs = [p.view(WORLD, -1) for p in padded_bf16]
    found["unpack bf16->bf16"] = lambda: torch.split_with_sizes_copy(
        gathered.view(WORLD, -1), chunk_numels, dim=1, out=outs)
    # With a cast there is no split_with_sizes_copy: one multi-tensor copy over every (rank, param).
    params_f32 = [torch.empty(r * c, dtype=torch.float32, device=DEVICE) for r, c in shapes]
    dst_pieces, src_pieces = [], []
    offset = 0
    for (r, c), numel, param in zip(shapes, chunk_numels, params_f32):
        for rank in range(WORLD):
            count = min(numel, max(0, r * c - rank * numel))
            if count:
                dst_pieces.append(param[rank * numel:rank * numel + count])
                src_pieces.append(gathered[rank * shard + offset:rank * shard + offset + count])
        offset += numel
    found["unpack bf16->f32"] = lambda: torch._foreach_copy_(dst_pieces, src_pieces)

    # FSDP2's copy-in: cast the gradients to the reduce dtype, _chunk_cat, divide in place.
    grads_f32 = [uniform(r * c, torch.float32).view(r, c) for r, c in shapes]
    rs_input = torch.empty(WORLD * shard, dtype=torch.bfloat16, device=DEVICE)

    def chunk_cat():
        cast = [g.to(torch.bfloat16) for g in grads_f32]
        torch._chunk_cat(cast, dim=0, num_chunks=WORLD, out=rs_input.view(WORLD, -1))
        rs_input.div_(WORLD)
    found["chunk-cat f32->bf16"] = chunk_cat

    for dtype, label in ((torch.float32, "f32"), (torch.bfloat16, "bf16")):
        a, b, c, d = (uniform(n // 2, dtype) for _ in range(4))
        out = uniform(n // 2, dtype)

        def reduce(a=a, b=b, c=c, d=d, out=out):
            torch.add(a, b, out=out)
            out.add_(c)
            out.add_(d)
        found["reduce 4x " + label] = reduce

    grad_shard, reduced = uniform(n, torch.float32), uniform(n, torch.bfloat16)
    found["accumulate f32 += bf16"] = lambda: grad_shard.add_(reduced, alpha=0.5)

    m = n // 2
    param, grad, exp_avg = (uniform(m, torch.float32) for _ in range(3))
    exp_avg_sq = torch.full((m,), 0.01, device=DEVICE)
    copy = uniform(m, torch.bfloat16)
    step = torch.zeros((), device=DEVICE)

    def adamw():
        torch._fused_adamw_([param], [grad], [exp_avg], [exp_avg_sq], [], [step], lr=1e-4, beta1=0.9,
                            beta2=0.999, weight_decay=0.01, eps=1e-8, amsgrad=False, maximize=False)
        copy.copy_(param)
    found["adamw f32"] = adamw
    return found


def gemm_row(ours, repeats):
    """torch.matmul on the problem of our row, named like 'gemm bf16 8192^3'; TFLOP/s both sides."""
    _, dtype_name, size = ours["kernel"].split()
    side = int(size.rstrip("^3"))
    dtype = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}[dtype_name]
    a, b = uniform(side * side, dtype).view(side, side), uniform(side * side, dtype).view(side, side)
    c = torch.empty(side, side, dtype=dtype, device=DEVICE)
    seconds = median_seconds(lambda: torch.matmul(a, b, out=c), repeats)
    torch_tflops = 2.0 * side ** 3 / seconds / 1e12
    return {"operation": ours["kernel"], "oursTflops": ours["tflops"], "torchTflops": torch_tflops,
            "ratio": ours["tflops"] / torch_tflops}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ours", required=True, help="JSON of shard4j bench kernels on the GPU")
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--json", help="also write the table here")
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    args = parser.parse_args()
    global DEVICE
    DEVICE = args.device
    with open(args.ours) as f:
        ours = json.load(f)
    n = ours["elements"]
    torch.manual_seed(1)
    runs = cases(n, random.Random(1))

    copy_bytes = 8 * n
    device_copy = copy_bytes / median_seconds(runs["copy f32"], args.repeats) / 1e9
    rows = []
    gemms = []
    for r in ours["results"]:
        name = r["kernel"]
        if "tflops" in r:
            gemms.append(gemm_row(r, args.repeats))
            continue
        match = [k for k in runs if name.startswith(k)]
        if not match:
            print(f"torch_kernels: no PyTorch version of '{name}'", file=sys.stderr)
            continue
        seconds = median_seconds(runs[max(match, key=len)], args.repeats)
        torch_gbps = r["bytes"] / seconds / 1e9
        rows.append({"operation": name, "oursGBps": r["gbPerSecond"], "torchGBps": torch_gbps,
                     "ratio": r["gbPerSecond"] / torch_gbps, "oursOfCopy": r["gbPerSecond"] / device_copy,
                     "torchOfCopy": torch_gbps / device_copy})

    name = torch.cuda.get_device_name() if DEVICE == "cuda" else "cpu"
    print(f"# {name}, PyTorch {torch.__version__}, {n} elements, "
          f"median of {args.repeats}; device copy (torch copy_, read + write) {device_copy:.0f} GB/s")
    print(f"{'operation':40} {'ours GB/s':>10} {'torch GB/s':>11} {'ours/torch':>11} {'ours of copy':>13} "
          f"{'torch of copy':>14}")
    for row in rows:
        print(f"{row['operation']:40} {row['oursGBps']:10.1f} {row['torchGBps']:11.1f} {row['ratio']:11.2f} "
              f"{row['oursOfCopy']:13.2f} {row['torchOfCopy']:14.2f}")
    for g in gemms:
        print(f"{g['operation']:40} ours {g['oursTflops']:.2f} TFLOP/s, torch.matmul {g['torchTflops']:.2f} TFLOP/s, "
              f"ours/torch {g['ratio']:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": name, "torch": torch.__version__, "elements": n,
                       "deviceCopyGBps": device_copy, "rows": rows, "gemm": gemms}, f, indent=1)


if __name__ == "__main__":
    main()
