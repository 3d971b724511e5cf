"""Time MultiHeadAttention's fast path against the same computation in plain PyTorch.

The fast path is ``MultiHeadAttention.forward(..., need_weights=False)``, which checks its
inputs, projects, and calls ``torch.nn.functional.scaled_dot_product_attention``. The
reference ("sdpa") does the same projections and the same fused call with no checks and no
mask handling. ``ratio = seconds_fast_path / seconds_sdpa``; the target is at most 1.10.

    python scripts/benchmark_attention.py [--repeats 30] [--out book/benchmarks/attention_fast_path.csv]

Writes one CSV row per configuration: config, seconds_fast_path, seconds_sdpa, ratio,
device, threads, date. Times are in seconds per call: the best of three medians of
``--repeats`` calls, CPU process time on the CPU (one thread by default) and wall time on a GPU.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import statistics
import time
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F

from seqattn_lib import setup
from seqattn_lib.attention import MultiHeadAttention, causal_mask

CONFIGS = [  # (batch, n, d_model, n_heads, mask)
    (8, 64, 128, 4, "none"),
    (8, 128, 256, 8, "none"),
    (4, 256, 256, 8, "causal"),
    (16, 128, 128, 4, "padding"),
    (2, 512, 512, 8, "causal"),
]


def reference(mha: MultiHeadAttention, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """The fast path's computation written directly: projections, fused SDPA, W_O."""
    b, n, _ = x.shape
    q, k, v = F.linear(x, mha.in_proj_weight, mha.in_proj_bias).chunk(3, dim=-1)
    q, k, v = (t.view(b, n, mha.n_heads, mha.d_k).transpose(1, 2) for t in (q, k, v))
    heads = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return mha.out_proj(heads.transpose(1, 2).reshape(b, n, mha.d_model))


def median_seconds(fn, repeats: int, device: torch.device) -> float:
    for _ in range(3):  # warm up
        fn()
    # CPU: process time, which a busy shared machine disturbs less than wall time; GPU: wall time.
    clock = time.perf_counter if device.type == "cuda" else time.process_time
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = clock()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(clock() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path("book/benchmarks/attention_fast_path.csv"))
    args = parser.parse_args()
    device = setup()
    rows = []
    for b, n, d_model, n_heads, kind in CONFIGS:
        mha = MultiHeadAttention(d_model, n_heads).to(device).eval()
        x = torch.randn(b, n, d_model, device=device)
        if kind == "causal":
            mask = causal_mask(n, device=device)
        elif kind == "padding":
            lengths = torch.randint(n // 2, n + 1, (b,), device=device)
            mask = (torch.arange(n, device=device)[None, :] < lengths[:, None])[:, None, None, :]
        else:
            mask = None
        with torch.no_grad():
            fast, _ = mha(x, x, x, mask, need_weights=False)
            assert torch.allclose(fast, reference(mha, x, mask), atol=1e-5)
            # interleave the two so that load changes on a shared machine hit both alike
            t_fast, t_ref = [], []
            fast_call = partial(mha, x, x, x, mask, need_weights=False)
            ref_call = partial(reference, mha, x, mask)
            for _ in range(3):
                t_fast.append(median_seconds(fast_call, args.repeats, device))
                t_ref.append(median_seconds(ref_call, args.repeats, device))
        fast_s, ref_s = min(t_fast), min(t_ref)
        config = f"batch={b} n={n} d_model={d_model} heads={n_heads} mask={kind}"
        rows.append({
            "config": config,
            "seconds_fast_path": f"{fast_s:.6g}",
            "seconds_sdpa": f"{ref_s:.6g}",
            "ratio": f"{fast_s / ref_s:.3f}",
            "device": torch.cuda.get_device_name(device) if device.type == "cuda" else device.type,
            "threads": torch.get_num_threads(),
            "date": datetime.date.today().isoformat(),
        })
        print(f"{config}: fast path {fast_s * 1e3:.3f} ms, sdpa {ref_s * 1e3:.3f} ms, ratio {fast_s / ref_s:.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
