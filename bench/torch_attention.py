#!/usr/bin/env python3
"""Our attention kernels side by side with torch.nn.functional.scaled_dot_product_attention.

Same shapes, same dtype, same FLOP convention (forward 4*b*h*s^2*d, halved when causal;
backward 2.5x forward), in one run on one GPU. For PyTorch every SDPA backend available
(flash, efficient, cudnn, via torch.nn.attention.sdpa_kernel) is timed and the fastest kept;
ours comes from `trainbench attention --json` (CUDA events, L2 flushed before every sample,
noise-based stopping). Ratio = PyTorch's time / ours: the issue's goal is >= 0.8 forward and
>= 0.7 backward.

PyTorch is timed with CUDA events around one call, the L2 flushed before every sample, median of
--reps samples. Before the start event is recorded, torch.cuda._sleep (2,000,000 cycles, ~1 ms)
holds the stream, so the Python and autograd launch overhead of queueing the call (the backward
queues many kernels) falls inside the sleep, not inside the timed interval (the same role as
trainbench's blocking kernel and torch_gemm.py's sleep); the sleep itself is queued before the
start event and is not counted.

Failures are recorded, and the sweep goes on: a trainbench call that exits non-zero, prints JSON
that does not parse or lacks a key, or runs past its timeout (max(120 s, 10 x --max-time)) is
recorded as that row's error; after an implementation's first timeout it is not run again, and
its later rows read "skipped after a timeout". A PyTorch exception for a shape (out of memory,
say) is recorded as the row's torch_error. The --out JSON is rewritten after every row
(atomically: OUT.tmp, then renamed; "complete": false in meta until the end), so a run killed at
a time limit leaves the rows it measured on disk. The exit status is 0 unless nothing at all
could be measured (then 1).

Needs only the standard library and torch (it must run where PyTorch exists but pip does not).
Example:
  python3 bench/torch_attention.py --trainbench build/cli/trainbench --out attention_vs_torch.json
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

from bench_common import error_text, write_json_atomic  # noqa: E402 (beside this script)

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - the device machine has torch
    sys.exit("torch_attention.py: PyTorch is required (python3 -c 'import torch' failed)")

# GPT-3 175B with 8-way tensor parallelism: 96/8 = 12 heads of d = 128 per GPU.
GPT3_HEADS, GPT3_HEAD_DIM = 12, 128
TOKENS_PER_BATCH = 16384  # batch = tokens / seq, as FlashAttention-2's benchmarks do


def flops(b, h, s, d, causal, backward):
    f = 4.0 * b * h * s * s * d / (2.0 if causal else 1.0)
    return 2.5 * f if backward else f


def shapes(seqs, both_masks):
    out = [dict(name="gpt3-175b/tp8", batch=1, heads=GPT3_HEADS, seq=2048, head_dim=GPT3_HEAD_DIM, causal=True)]
    for s in seqs:
        for causal in ([False, True] if both_masks else [True]):
            out.append(dict(name="sweep", batch=max(1, TOKENS_PER_BATCH // s), heads=GPT3_HEADS, seq=s,
                            head_dim=GPT3_HEAD_DIM, causal=causal))
    return out


HOLD_CYCLES = 2_000_000  # torch.cuda._sleep before the start event: ~1 ms at ~2 GHz, covers the backward's queueing


def time_cuda_ms(fn, warmup, reps, prepare=None):
    """Median of `reps` CUDA-event timings of fn(); the L2 is flushed before each sample, and the
    stream is held (torch.cuda._sleep, queued before the start event) while fn() is queued."""
    flush = torch.zeros(256 * 1024 * 1024 // 4, dtype=torch.float32, device="cuda")
    for _ in range(warmup):
        if prepare:
            prepare()
        fn()
    times = []
    for _ in range(reps):
        if prepare:
            prepare()
        flush.sum()  # a read, as trainbench's flush (kernels/cuda/l2_flush.cu): it leaves clean lines
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        if hasattr(torch.cuda, "_sleep"):
            torch.cuda._sleep(HOLD_CYCLES)  # before start.record(): the sleep is not timed, the launches are hidden
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def torch_backends():
    from torch.nn.attention import SDPBackend
    names = [("flash", "FLASH_ATTENTION"), ("efficient", "EFFICIENT_ATTENTION"), ("cudnn", "CUDNN_ATTENTION")]
    return [(n, getattr(SDPBackend, attr)) for n, attr in names if hasattr(SDPBackend, attr)]


def time_torch(shape, dtype, warmup, reps):
    from torch.nn.attention import sdpa_kernel
    b, h, s, d, causal = shape["batch"], shape["heads"], shape["seq"], shape["head_dim"], shape["causal"]
    # [batch, seq, heads, d] storage, viewed as SDPA's [batch, heads, seq, d]: what a model passes.
    def make():
        return (torch.randn(b, s, h, d, device="cuda", dtype=dtype).transpose(1, 2).requires_grad_(True))
    q, k, v = make(), make(), make()
    grad = torch.randn(b, h, s, d, device="cuda", dtype=dtype)
    results = {}
    for name, backend in torch_backends():
        try:
            with sdpa_kernel([backend]):
                fwd_ms = time_cuda_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal), warmup, reps)
                out = F.scaled_dot_product_attention(q, k, v, is_causal=causal)

                def clear():
                    q.grad = k.grad = v.grad = None

                bwd_ms = time_cuda_ms(lambda: out.backward(grad, retain_graph=True), warmup, reps, prepare=clear)
            results[name] = dict(fwd_ms=fwd_ms, bwd_ms=bwd_ms)
        except Exception as e:  # backend not available for this shape/dtype/GPU, out of memory, ...
            results[name] = dict(error=error_text(e))
    return results


def time_ours(trainbench, shape, dtype_name, pass_name, impl, max_time_s):
    cmd = [trainbench, "attention", "--device", "cuda", "--batch", str(shape["batch"]), "--heads",
           str(shape["heads"]), "--seq", str(shape["seq"]), "--head-dim", str(shape["head_dim"]), "--dtype",
           dtype_name, "--impl", impl, "--pass", pass_name, "--max-time", str(max_time_s), "--json"]
    if shape["causal"]:
        cmd.append("--causal")
    timeout_s = max(120.0, 10 * max_time_s)
    try:  # a kernel that hangs on its first real run must not stall the whole sweep
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return dict(error=f"timed out after {timeout_s:.0f} s", timed_out=True)
    except OSError as e:  # the binary is missing or not executable
        return dict(error=error_text(e))
    if p.returncode != 0:
        return dict(error=f"exit {p.returncode}: {p.stderr.strip()[-300:]}")
    try:
        j = json.loads(p.stdout)
        r = dict(median_ms=float(j["median_ms"]), tflops=float(j["tflops"]), verified=j.get("verified"),
                 max_rel_error=j.get("max_rel_error"), algorithm=j.get("algorithm"))
    except (ValueError, KeyError, TypeError, AttributeError) as e:  # json.JSONDecodeError is a ValueError
        return dict(error=f"{error_text(e)}; stdout: {p.stdout.strip()[:200]!r}")
    if not r["median_ms"] > 0:
        return dict(r, error=f"median_ms is {r['median_ms']}")
    return r






def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trainbench", default="build/cli/trainbench", help="path to the trainbench binary")
    ap.add_argument("--dtype", default="bf16", choices=["bf16", "fp16"])
    ap.add_argument("--seqs", default="512,1024,2048,4096,8192,16384")
    ap.add_argument("--causal-only", action="store_true", help="sweep causal shapes only")
    ap.add_argument("--impl", default="fused,wgmma",
                    help="comma-separated: fused, wgmma (sm_90a forward; its backward is fused's), unfused")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--max-time", type=float, default=5.0, help="trainbench's time budget per measurement (s)")
    ap.add_argument("--out", default="attention_vs_torch.json")
    ap.add_argument("--no-trainbench", action="store_true", help="time PyTorch only")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("torch_attention.py: no CUDA device visible to PyTorch")
    impls = [i for i in args.impl.split(",") if i]
    for impl in impls:
        if impl not in ("fused", "wgmma", "unfused"):
            sys.exit(f"torch_attention.py: --impl: unknown '{impl}'; accepted values: fused, wgmma, unfused")
    dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float16
    meta = dict(device=torch.cuda.get_device_name(), torch=torch.__version__, dtype=args.dtype, impls=impls,
                flops_convention="forward 4*b*h*s^2*d, halved when causal; backward 2.5x forward",
                ratio="PyTorch fastest backend time / ours (goal: >= 0.8 fwd, >= 0.7 bwd)", complete=False)
    rows = []
    timed_out = {}  # impl -> the row where it first timed out; it is not run again
    for shape in shapes([int(s) for s in args.seqs.split(",")], not args.causal_only):
        torch_error = None
        try:
            t = time_torch(shape, dtype, args.warmup, args.reps)
        except Exception as e:  # out of memory allocating q/k/v, no torch.nn.attention, ...
            t, torch_error = {}, error_text(e)
        if torch_error:
            try:  # outside the except block, so its traceback no longer holds the shape's tensors
                torch.cuda.synchronize()
                torch.cuda.empty_cache()
            except Exception:
                pass  # a context-killing error: the following shapes will record theirs
        for pass_name in ("fwd", "bwd"):
            f = flops(shape["batch"], shape["heads"], shape["seq"], shape["head_dim"], shape["causal"], pass_name == "bwd")
            timed = {n: r[f"{pass_name}_ms"] for n, r in t.items() if f"{pass_name}_ms" in r}
            best = min(timed, key=timed.get) if timed else None
            ours = {}
            for impl in impls:
                if args.no_trainbench or (impl == "wgmma" and pass_name == "bwd"):
                    continue  # the wgmma implementation's backward is the fused one
                if impl in timed_out:
                    ours[impl] = dict(error="skipped after a timeout", first_timeout=timed_out[impl])
                    continue
                ours[impl] = time_ours(args.trainbench, shape, args.dtype, pass_name, impl, args.max_time)
                if ours[impl].get("timed_out"):
                    timed_out[impl] = (f"{shape['name']} b{shape['batch']} s{shape['seq']} "
                                       f"{'causal' if shape['causal'] else 'full'} {pass_name}")
            row = dict(shape, flops=f, torch=t, torch_error=torch_error, torch_best=best,
                       torch_best_ms=timed.get(best), torch_best_tflops=(f / timed[best] / 1e9) if best else None,
                       ours=ours, ratio={})
            row["pass"] = pass_name
            for impl, r in ours.items():
                if best and "median_ms" in r and not r.get("error"):
                    row["ratio"][impl] = timed[best] / r["median_ms"]  # >1: ours is faster
            rows.append(row)
            summary = "  ".join(
                f"{impl} {r.get('tflops', 0):7.1f} TFLOP/s ratio {row['ratio'].get(impl, float('nan')):.3f}"
                + (f" ({r['error']})" if r.get("error") else "")
                for impl, r in ours.items())
            print(f"{shape['name']:14s} b{shape['batch']:<3d} s{shape['seq']:<6d} {'causal' if shape['causal'] else 'full  '}"
                  f" {pass_name}: torch[{best}] {row['torch_best_tflops'] or 0:7.1f} TFLOP/s  {summary}"
                  + (f"  (torch: {torch_error[:120]})" if torch_error else ""), flush=True)
            write_json_atomic(args.out, dict(meta=meta, rows=rows))
    meta["complete"] = True
    meta["skipped_after_timeout"] = timed_out
    write_json_atomic(args.out, dict(meta=meta, rows=rows))
    ours_ok = sum(1 for row in rows for r in row["ours"].values() if "median_ms" in r and not r.get("error"))
    ours_all = sum(len(row["ours"]) for row in rows)
    torch_ok = sum(1 for row in rows if row["torch_best"])
    print(f"measured: torch {torch_ok}/{len(rows)} rows, ours {ours_ok}/{ours_all} runs"
          + (f"; skipped after a timeout: {', '.join(f'{i} (from {w})' for i, w in timed_out.items())}"
             if timed_out else ""))
    print(f"wrote {args.out}")
    return 0 if ours_ok or torch_ok else 1


if __name__ == "__main__":
    sys.exit(main())
