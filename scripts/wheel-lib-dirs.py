#!/usr/bin/env python3
"""Prints the folders of PyTorch's NVIDIA wheels that hold cuBLAS, NCCL or the CUDA runtime
(nvidia/cu13/lib with CUDA 13 wheels, nvidia/nccl/lib), one a line; nothing without them.
scripts/gpu-check.sh puts them on our binaries' library path. Standard library only, and no
torch import: it must take well under a second of a lent GPU's time."""
import os

try:
    import nvidia
except ImportError:
    raise SystemExit

seen = set()
for root in getattr(nvidia, "__path__", []):
    for dirpath, _, files in os.walk(root):
        if dirpath not in seen and any(f.startswith(("libcublas", "libnccl", "libcudart")) for f in files):
            seen.add(dirpath)
            print(dirpath)
