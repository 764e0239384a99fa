"""Helpers the side-by-side benches share (standard library only: they run where only torch is)."""
import json
import os
import subprocess


def error_text(e, limit=400):
    """One line naming what went wrong, for a row's error field."""
    if isinstance(e, subprocess.TimeoutExpired):
        return f"timed out after {e.timeout:.0f} s"
    if isinstance(e, KeyError):
        return f"missing key {e}"
    return f"{type(e).__name__}: {' | '.join(line.strip() for line in str(e).strip().splitlines())[:limit]}"


def write_json_atomic(path, obj):
    """Rewritten after every row, so a run killed at the device call's limit keeps its rows."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
    os.replace(tmp, path)
