#!/usr/bin/env python3
"""Our cuBLASLt GEMMs side by side with torch.matmul, on the same shapes and dtype, in one run.

Shapes: 8192^3, and the twelve GEMMs of one GPT-3 175B layer at tensor-parallel 8 with
b*s = 2048 tokens (QKV, attention output, MLP up, MLP down; each forward, data gradient and
weight gradient), plus the vocabulary-parallel logits GEMMs with --logits. They are computed
here the way harness/workload/workload.cpp builds them (trainbench has no shape-listing
command): d = 12288, 96/8 = 12 heads of 128, ffn 4d/8 = 6144, vocabulary shard ceil(50257/8).

Both sides are timed the same way: inputs uniform in [-1, 1) (never zeros: zero inputs read
~10% fast on H100), warm-up, the L2 flushed before every sample, CUDA events around one launch,
median of the samples. For torch, torch.cuda._sleep holds the stream while the events and the
matmul are queued (the same role as trainbench's blocking kernel). Layouts follow op.hpp,
row-major: fwd X[MxK] @ W[KxN]; dgrad dY[MxK] @ W[NxK]^T; wgrad X[KxM]^T @ dY[KxN].
Ours comes from `trainbench gemm ... --device cuda --json` (median_ms).

The whole table is measured --repeats times (default 5); a shape's medians "agree" when
(max - min) / min <= 1% over the repeats, for each side. Ratio = torch median / our median
(our throughput relative to torch's); the goal is >= 0.97.

Needs only the standard library and torch (it must run where PyTorch exists but pip does not):
  python3 bench/torch_gemm.py --trainbench build/cli/trainbench --out gemm_vs_torch.json
"""
import argparse
import json
import math
import statistics
import subprocess
import sys

try:
    import torch
except ImportError:  # pragma: no cover - the device machine has torch
    sys.exit("torch_gemm.py: PyTorch is required (python3 -c 'import torch' failed)")

D, HEADS_TP, HEAD_DIM, FFN_TP, VOCAB_TP, TOKENS = 12288, 96 // 8, 128, 4 * 12288 // 8, math.ceil(50257 / 8), 2048


def triplet(stem, tokens, n_in, n_out):
    # workload.cpp gemm_triplet: fwd (tokens, out, in), dgrad (tokens, in, out), wgrad (in, out, tokens).
    return [dict(name=f"{stem}.fwd", m=tokens, n=n_out, k=n_in, layout="fwd"),
            dict(name=f"{stem}.dgrad", m=tokens, n=n_in, k=n_out, layout="dgrad"),
            dict(name=f"{stem}.wgrad", m=n_in, n=n_out, k=tokens, layout="wgrad")]


def target_shapes(logits):
    shapes = [dict(name="square.fwd", m=8192, n=8192, k=8192, layout="fwd")]
    shapes += triplet("qkv", TOKENS, D, 3 * HEADS_TP * HEAD_DIM)
    shapes += triplet("attn_out", TOKENS, HEADS_TP * HEAD_DIM, D)
    shapes += triplet("mlp_up", TOKENS, D, FFN_TP)
    shapes += triplet("mlp_down", TOKENS, FFN_TP, D)
    if logits:
        shapes += triplet("logits", TOKENS, D, VOCAB_TP)
    return shapes


TORCH_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "tf32": torch.float32, "fp32": torch.float32}


def uniform(rows, cols, dtype):
    return (torch.rand(rows, cols, device="cuda", dtype=torch.float32) * 2 - 1).to(dtype)


def torch_case(s, dtype):
    """Returns fn() computing the GEMM into a preallocated output, as trainbench does."""
    m, n, k = s["m"], s["n"], s["k"]
    if dtype == "fp8":
        # torch._scaled_mm needs A row-major and B column-major (cuBLASLt's TN), like ours for fp8.
        a = uniform(m, k, torch.float32).to(torch.float8_e4m3fn)
        b = uniform(n, k, torch.float32).to(torch.float8_e4m3fn).t()
        one = torch.ones((), device="cuda", dtype=torch.float32)
        return lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
    t = TORCH_DTYPES[dtype]
    a = uniform(k, m, t).t() if s["layout"] == "wgrad" else uniform(m, k, t)
    b = uniform(n, k, t).t() if s["layout"] == "dgrad" else uniform(k, n, t)
    c = torch.empty(m, n, device="cuda", dtype=t)
    return lambda: torch.matmul(a, b, out=c)


def time_torch_ms(fn, warmup, samples, flush):
    for _ in range(warmup):
        fn()
    times = []
    for i in range(samples):
        flush.fill_(i & 0xFF)  # evict the previous sample's operands from L2
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        if hasattr(torch.cuda, "_sleep"):
            torch.cuda._sleep(200_000)  # ~100 us at ~2 GHz: hold the stream while we queue
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    return statistics.median(times)


def time_ours_ms(trainbench, s, dtype, candidates, samples):
    cmd = [trainbench, "gemm", "-m", str(s["m"]), "-n", str(s["n"]), "-k", str(s["k"]), "--dtype", dtype,
           "--layout", s["layout"], "--device", "cuda", "--candidates", str(candidates), "--json",
           "--min-samples", str(samples)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {out.returncode}: {out.stderr.strip()}")
    j = json.loads(out.stdout)
    if not j.get("verified", False):
        raise RuntimeError(f"{s['name']}: trainbench did not verify the result: {out.stdout}")
    return j["median_ms"], j


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trainbench", required=True, help="path to the trainbench binary")
    p.add_argument("--dtype", default="bf16", choices=["bf16", "fp16", "tf32", "fp32", "fp8"])
    p.add_argument("--repeats", type=int, default=5, help="times the whole table is measured")
    p.add_argument("--samples", type=int, default=50, help="timed samples per shape (torch; ours' minimum)")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--candidates", type=int, default=1, help="trainbench --candidates (cuBLASLt top-k)")
    p.add_argument("--logits", action="store_true", help="also the vocabulary-parallel logits GEMMs")
    p.add_argument("--out", default="gemm_vs_torch.json")
    args = p.parse_args()
    if not torch.cuda.is_available():
        sys.exit("torch_gemm.py: no CUDA device visible to PyTorch")
    torch.backends.cuda.matmul.allow_tf32 = args.dtype == "tf32"
    # torch.matmul as a user runs it: its reduced-precision-reduction defaults are kept, and recorded.
    torch_flags = {name: getattr(torch.backends.cuda.matmul, name, None)
                   for name in ("allow_tf32", "allow_bf16_reduced_precision_reduction",
                                "allow_fp16_reduced_precision_reduction")}
    l2 = torch.cuda.get_device_properties(0).L2_cache_size
    flush = torch.empty(2 * l2, dtype=torch.uint8, device="cuda")
    shapes = target_shapes(args.logits)
    runs = {s["name"]: {"ours_ms": [], "torch_ms": []} for s in shapes}
    for r in range(args.repeats):
        for s in shapes:
            ours_ms, _ = time_ours_ms(args.trainbench, s, args.dtype, args.candidates, args.samples)
            torch_ms = time_torch_ms(torch_case(s, args.dtype), args.warmup, args.samples, flush)
            runs[s["name"]]["ours_ms"].append(ours_ms)
            runs[s["name"]]["torch_ms"].append(torch_ms)
            print(f"repeat {r + 1}/{args.repeats} {s['name']}: ours {ours_ms:.4f} ms, torch {torch_ms:.4f} ms",
                  file=sys.stderr)

    spread = lambda v: (max(v) - min(v)) / min(v)
    rows, all_ok = [], True
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, dtype {args.dtype}")
    print(f"{'gemm':16} {'M':>6} {'N':>6} {'K':>6} {'ours TF/s':>10} {'torch TF/s':>10} {'ratio':>6} "
          f"{'spread ours':>11} {'spread torch':>12}")
    for s in shapes:
        rec = runs[s["name"]]
        ours, theirs = statistics.median(rec["ours_ms"]), statistics.median(rec["torch_ms"])
        flop = 2.0 * s["m"] * s["n"] * s["k"]
        ratio = theirs / ours
        agree = spread(rec["ours_ms"]) <= 0.01 and spread(rec["torch_ms"]) <= 0.01
        all_ok &= ratio >= 0.97 and agree
        rows.append(dict(s, dtype=args.dtype, flops=flop, ours_median_ms=ours, torch_median_ms=theirs,
                         ours_tflops=flop / ours / 1e9, torch_tflops=flop / theirs / 1e9, ratio=ratio,
                         ours_spread=spread(rec["ours_ms"]), torch_spread=spread(rec["torch_ms"]),
                         medians_agree_1pct=agree, **rec))
        print(f"{s['name']:16} {s['m']:>6} {s['n']:>6} {s['k']:>6} {flop / ours / 1e9:>10.1f} "
              f"{flop / theirs / 1e9:>10.1f} {ratio:>6.3f} {spread(rec['ours_ms']):>10.2%} "
              f"{spread(rec['torch_ms']):>11.2%}")
    result = dict(device=torch.cuda.get_device_name(0), torch_version=torch.__version__,
                  cuda=torch.version.cuda, dtype=args.dtype, repeats=args.repeats, samples=args.samples,
                  candidates=args.candidates, torch_matmul_flags=torch_flags, goal="ratio >= 0.97 and medians within 1% over repeats",
                  all_goals_met=all_ok, shapes=rows)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"{'all goals met' if all_ok else 'GOALS NOT MET'}; written {args.out}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
