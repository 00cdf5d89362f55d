"""Helpers several benches share (bench/ is on ``sys.path`` when a bench runs as a script)."""
from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import time


def blas_info() -> str:
    """The BLAS libraries NumPy runs on (name, version, core type, threads), for the header
    of a bench's output: timings of matmul-heavy steps depend on them."""
    try:
        import threadpoolctl
        return "; ".join(f"{i.get('internal_api')} {i.get('version')} core={i.get('architecture')} "
                         f"threads={i.get('num_threads')}"
                         for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas")
    except ImportError:
        return "threadpoolctl not installed"


def load_baseline(root, name):
    """The kernel module autograd/kernels/<name>.py of another source tree, imported next to
    the current one (its relative imports resolve to the current package)."""
    path = os.path.join(root, "autograd", "kernels", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"autograd.kernels._baseline_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # (Numba's cache re-imports a kernel's module by name)
    spec.loader.exec_module(mod)
    mod.warmup("float32")
    return mod


def median_times(libs, repeats, clock=time.perf_counter):
    """Median seconds of a call of each step in ``libs = {name: (backend or None, step)}``
    (None: not a jitgrad step, run as it is). The steps take turns, so a passing load on
    the machine slows them alike; two rounds of warm-up (compilation, allocation) go
    untimed."""
    import autograd
    times = {k: [] for k in libs}
    for r in range(repeats + 2):
        for name, (backend, step) in libs.items():
            t0 = clock()
            if backend:
                with autograd.backend(backend):
                    step()
            else:
                step()
            if r >= 2:
                times[name].append(clock() - t0)
    return {k: statistics.median(v) for k, v in times.items()}
