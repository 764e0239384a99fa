#!/usr/bin/env python3
"""Our cuBLASLt GEMMs side by side with torch.matmul, on the same shapes and dtype, in one run.

Shapes: 8192^3, and the twelve GEMMs of one GPT-3 175B layer at tensor-parallel 8 with
b*s = 2048 tokens (QKV, attention output, MLP up, MLP down; each forward, data gradient and
weight gradient), plus the vocabulary-parallel logits GEMMs with --logits. They are computed
here the way harness/workload/workload.cpp builds them (trainbench has no shape-listing
command): d = 12288, 96/8 = 12 heads of 128, ffn 4d/8 = 6144, vocabulary shard 51200/8
(Megatron-LM pads 50,257 to a multiple of 128 x tp, as harness/workload/workload.cpp does).

Both sides are timed the same way: inputs uniform in [-1, 1) (never zeros: zero inputs read
~10% fast on H100), warm-up, the L2 flushed before every sample, CUDA events around one launch,
median of the samples. For torch, torch.cuda._sleep holds the stream while the events and the
matmul are queued (the same role as trainbench's blocking kernel). Layouts follow op.hpp,
row-major: fwd X[MxK] @ W[KxN]; dgrad dY[MxK] @ W[NxK]^T; wgrad X[KxM]^T @ dY[KxN].
Ours comes from `trainbench gemm ... --device cuda --max-time 3 --json` (median_ms), each call
killed after 60 s.

--batch N measures every shape as N independent GEMMs in one launch, each on its own operands:
ours `trainbench gemm --batch N` (cuBLASLt's strided batch), torch's torch.matmul on 3-D tensors
(a batched GEMM, as torch.bmm); the grouped GEMM of a mixture-of-experts layer's experts under
balanced routing, every group the same shape. FLOPs count every group. fp8 takes no batch
(torch._scaled_mm is 2-D only).

The whole table is measured --repeats times (default 5); a shape's medians "agree" when
(max - min) / min <= 1% over the repeats, for each side. Ratio = torch median / our median
(our throughput relative to torch's); the goal is >= 0.97.

One failed measurement does not stop the run: a trainbench call that times out, exits non-zero,
prints JSON that does not parse or lacks a key, or does not verify, and a torch exception (out of
memory, say), are recorded as text in that shape's "errors" and the run goes on. The --out JSON is
rewritten (atomically: OUT.tmp, then renamed) after every shape of every repeat, with
"complete": false until the end, so a run killed at a time limit leaves what it measured on disk.
The last line is "all goals met; written OUT", or names what failed: "RATIO GOAL NOT MET" (some
shape's ratio < 0.97: more cuBLASLt candidates may help), "SPREAD GOAL NOT MET" (some side's
medians more than 1% apart: more candidates do not help), "MEASUREMENT ERRORS". The exit status
is 0 unless nothing at all could be measured (then 1).

Needs only the standard library and torch (it must run where PyTorch exists but pip does not):
  python3 bench/torch_gemm.py --trainbench build/cli/trainbench --out gemm_vs_torch.json
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys

from bench_common import error_text, write_json_atomic  # noqa: E402 (beside this script)

try:
    import torch
except ImportError:  # pragma: no cover - the device machine has torch
    sys.exit("torch_gemm.py: PyTorch is required (python3 -c 'import torch' failed)")

D, HEADS_TP, HEAD_DIM, FFN_TP, VOCAB_TP, TOKENS = 12288, 96 // 8, 128, 4 * 12288 // 8, 51200 // 8, 2048


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


def uniform(rows, cols, dtype, batch=1):
    size = (rows, cols) if batch == 1 else (batch, rows, cols)
    return (torch.rand(*size, device="cuda", dtype=torch.float32) * 2 - 1).to(dtype)


def transposed(x):
    # The last two dimensions: a stored KxM (or NxK) operand read as its transpose, group by group.
    return x.transpose(-2, -1)


def torch_case(s, dtype, batch=1):
    """Returns fn() computing the GEMM (batch of them) into a preallocated output, as trainbench does."""
    m, n, k = s["m"], s["n"], s["k"]
    if dtype == "fp8":
        # torch._scaled_mm needs A row-major and B column-major (cuBLASLt's TN), like ours for fp8.
        # Transformer Engine's HYBRID formats by role, as trainbench's: the gradient dY in e5m2 (A
        # in dgrad, B in wgrad), everything else e4m3.
        fa = torch.float8_e5m2 if s["layout"] == "dgrad" else torch.float8_e4m3fn
        fb = torch.float8_e5m2 if s["layout"] == "wgrad" else torch.float8_e4m3fn
        a = uniform(m, k, torch.float32).to(fa)
        b = uniform(n, k, torch.float32).to(fb).t()
        one = torch.ones((), device="cuda", dtype=torch.float32)
        return lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
    t = TORCH_DTYPES[dtype]
    a = transposed(uniform(k, m, t, batch)) if s["layout"] == "wgrad" else uniform(m, k, t, batch)
    b = transposed(uniform(n, k, t, batch)) if s["layout"] == "dgrad" else uniform(k, n, t, batch)
    c = torch.empty(*((m, n) if batch == 1 else (batch, m, n)), device="cuda", dtype=t)
    return lambda: torch.matmul(a, b, out=c)


def time_torch_ms(fn, warmup, samples, flush):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(samples):
        flush.sum()  # evict the previous sample's operands; a read leaves clean lines, as ours does
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        if hasattr(torch.cuda, "_sleep"):
            torch.cuda._sleep(200_000)  # ~100 us at ~2 GHz: hold the stream while we queue
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    return statistics.median(times)


OURS_MAX_TIME_S = 3  # trainbench --max-time: its time budget per GEMM
OURS_TIMEOUT_S = 60  # the whole trainbench call (start-up, cuBLASLt heuristics, verification) is killed after this


def time_ours_ms(trainbench, s, dtype, candidates, samples, batch=1):
    """Raises on any failure (subprocess.TimeoutExpired, RuntimeError, ValueError, KeyError, ...)."""
    cmd = [trainbench, "gemm", "-m", str(s["m"]), "-n", str(s["n"]), "-k", str(s["k"]), "--batch", str(batch),
           "--dtype", dtype,
           "--layout", s["layout"], "--device", "cuda", "--candidates", str(candidates), "--json",
           "--min-samples", str(samples), "--max-time", str(OURS_MAX_TIME_S)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=OURS_TIMEOUT_S)
    if out.returncode != 0:
        raise RuntimeError(f"exit {out.returncode}: {out.stderr.strip()[-300:]}")
    j = json.loads(out.stdout)
    if not isinstance(j, dict):
        raise ValueError(f"trainbench printed JSON that is not an object: {out.stdout.strip()[:200]}")
    if not j.get("verified", False):
        raise RuntimeError(f"{s['name']}: trainbench did not verify the result: {out.stdout.strip()[:300]}")
    ms = float(j["median_ms"])
    if not (ms > 0 and math.isfinite(ms)):
        raise ValueError(f"median_ms is {j['median_ms']!r}")
    return ms, j






def spread(v):
    return (max(v) - min(v)) / min(v) if v else None


def summarize(shapes, runs, dtype, batch=1):
    """Rows for the JSON and the shapes short of each goal, from what has been measured so far."""
    rows, ratio_short, spread_short, errored = [], [], [], []
    for s in shapes:
        rec = runs[s["name"]]
        flop = batch * 2.0 * s["m"] * s["n"] * s["k"]
        ours = statistics.median(rec["ours_ms"]) if rec["ours_ms"] else None
        theirs = statistics.median(rec["torch_ms"]) if rec["torch_ms"] else None
        ratio = theirs / ours if ours and theirs else None
        ours_spread, torch_spread = spread(rec["ours_ms"]), spread(rec["torch_ms"])
        agree = None if ours is None or theirs is None else ours_spread <= 0.01 and torch_spread <= 0.01
        if rec["errors"]:
            errored.append(s["name"])
        if ratio is not None and ratio < 0.97:
            ratio_short.append(s["name"])
        if agree is False:
            spread_short.append(s["name"])
        rows.append(dict(s, dtype=dtype, batch=batch, flops=flop, ours_median_ms=ours, torch_median_ms=theirs,
                         ours_tflops=flop / ours / 1e9 if ours else None,
                         torch_tflops=flop / theirs / 1e9 if theirs else None, ratio=ratio,
                         ours_spread=ours_spread, torch_spread=torch_spread,
                         medians_agree_1pct=agree, **rec))
    return rows, ratio_short, spread_short, errored


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trainbench", required=True, help="path to the trainbench binary")
    p.add_argument("--dtype", default="bf16", choices=["bf16", "fp16", "tf32", "fp32", "fp8"])
    p.add_argument("--repeats", type=int, default=5, help="times the whole table is measured")
    p.add_argument("--samples", type=int, default=50, help="timed samples per shape (torch; ours' minimum)")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--candidates", type=int, default=1, help="trainbench --candidates (cuBLASLt top-k)")
    p.add_argument("--logits", action="store_true", help="also the vocabulary-parallel logits GEMMs")
    p.add_argument("--batch", type=int, default=1,
                   help="GEMMs of each shape in one batched launch (a grouped GEMM of equal groups)")
    p.add_argument("--out", default="gemm_vs_torch.json")
    args = p.parse_args()
    if args.batch < 1:
        p.error(f"--batch must be a positive integer (got {args.batch})")
    if args.batch > 1 and args.dtype == "fp8":
        p.error("--batch with --dtype fp8: torch._scaled_mm is 2-D only; give --batch 1 or another --dtype")
    if not torch.cuda.is_available():
        sys.exit("torch_gemm.py: no CUDA device visible to PyTorch")
    torch.backends.cuda.matmul.allow_tf32 = args.dtype == "tf32"
    # torch.matmul as a user runs it: its reduced-precision-reduction defaults are kept, and recorded.
    torch_flags = {name: getattr(torch.backends.cuda.matmul, name, None)
                   for name in ("allow_tf32", "allow_bf16_reduced_precision_reduction",
                                "allow_fp16_reduced_precision_reduction")}
    l2 = torch.cuda.get_device_properties(0).L2_cache_size
    flush = torch.zeros(2 * l2 // 4, dtype=torch.float32, device="cuda")  # read before every sample
    shapes = target_shapes(args.logits)
    runs = {s["name"]: {"ours_ms": [], "torch_ms": [], "errors": []} for s in shapes}
    device_name = torch.cuda.get_device_name(0)

    def result(complete, progress):
        rows, ratio_short, spread_short, errored = summarize(shapes, runs, args.dtype, args.batch)
        all_ok = not (ratio_short or spread_short or errored)
        return dict(device=device_name, torch_version=torch.__version__,
                    cuda=torch.version.cuda, dtype=args.dtype, batch=args.batch, repeats=args.repeats,
                    samples=args.samples,
                    candidates=args.candidates, ours_max_time_s=OURS_MAX_TIME_S, ours_timeout_s=OURS_TIMEOUT_S,
                    torch_matmul_flags=torch_flags, goal="ratio >= 0.97 and medians within 1% over repeats",
                    complete=complete, progress=progress, all_goals_met=all_ok if complete else None,
                    ratio_goal_not_met=ratio_short, spread_goal_not_met=spread_short, errors_in=errored,
                    shapes=rows), (rows, ratio_short, spread_short, errored)

    for r in range(args.repeats):
        for i, s in enumerate(shapes):
            rec = runs[s["name"]]
            if rec.get("timed_out"):  # a shape that hung once would eat the call's minutes every repeat
                rec["errors"].append(f"repeat {r + 1}: ours: skipped after a timeout")
                ours_text = "skipped after a timeout"
            else:
                try:
                    ours_ms, _ = time_ours_ms(args.trainbench, s, args.dtype, args.candidates, args.samples,
                                              args.batch)
                    rec["ours_ms"].append(ours_ms)
                    ours_text = f"{ours_ms:.4f} ms"
                except (subprocess.SubprocessError, OSError, RuntimeError, ValueError, KeyError, TypeError) as e:
                    rec["errors"].append(f"repeat {r + 1}: ours: {error_text(e)}")
                    rec["timed_out"] = isinstance(e, subprocess.TimeoutExpired)
                    ours_text = f"error ({error_text(e)})"
            try:
                torch_ms = time_torch_ms(torch_case(s, args.dtype, args.batch), args.warmup, args.samples, flush)
                rec["torch_ms"].append(torch_ms)
                torch_text = f"{torch_ms:.4f} ms"
            except Exception as e:  # out of memory, an unsupported dtype/layout, ...: recorded, the run goes on
                rec["errors"].append(f"repeat {r + 1}: torch: {error_text(e)}")
                torch_text = f"error ({error_text(e)})"
            if torch_text.startswith("error"):
                try:  # outside the except block, so the traceback no longer holds the shape's tensors
                    torch.cuda.synchronize()
                    torch.cuda.empty_cache()
                except Exception:
                    pass  # a context-killing error: the following shapes will record theirs
            print(f"repeat {r + 1}/{args.repeats} {s['name']}: ours {ours_text}, torch {torch_text}", file=sys.stderr)
            write_json_atomic(args.out, result(False, f"repeat {r + 1}/{args.repeats}, shape {i + 1}/{len(shapes)}")[0])

    final, (rows, ratio_short, spread_short, errored) = result(True, "done")
    na = lambda v, fmt: format(v, fmt) if v is not None else "n/a"
    print(f"device: {device_name}, torch {torch.__version__}, dtype {args.dtype}"
          + (f", batch {args.batch}" if args.batch > 1 else ""))
    print(f"{'gemm':16} {'M':>6} {'N':>6} {'K':>6} {'ours TF/s':>10} {'torch TF/s':>10} {'ratio':>6} "
          f"{'spread ours':>11} {'spread torch':>12}")
    for row in rows:
        print(f"{row['name']:16} {row['m']:>6} {row['n']:>6} {row['k']:>6} {na(row['ours_tflops'], '>10.1f'):>10} "
              f"{na(row['torch_tflops'], '>10.1f'):>10} {na(row['ratio'], '>6.3f'):>6} "
              f"{na(row['ours_spread'], '>10.2%'):>10} {na(row['torch_spread'], '>11.2%'):>11}"
              + (f"  errors: {len(row['errors'])} ({row['errors'][0][:120]})" if row["errors"] else ""))
    write_json_atomic(args.out, final)
    verdicts = [f"{what} ({', '.join(names)})" for what, names in
                (("RATIO GOAL NOT MET", ratio_short), ("SPREAD GOAL NOT MET", spread_short),
                 ("MEASUREMENT ERRORS", errored)) if names]
    print(f"{'; '.join(verdicts) or 'all goals met'}; written {args.out}")
    measured_any = any(rec["ours_ms"] or rec["torch_ms"] for rec in runs.values())
    return 0 if measured_any else 1


if __name__ == "__main__":
    sys.exit(main())
