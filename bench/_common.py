"""Helpers several benches share (bench/ is on ``sys.path`` when a bench runs as a script)."""

from __future__ import annotations

import contextlib
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

        return "; ".join(
            f"{i.get('internal_api')} {i.get('version')} core={i.get('architecture')} "
            f"threads={i.get('num_threads')}"
            for i in threadpoolctl.threadpool_info()
            if i.get("user_api") == "blas"
        )
    except ImportError:
        return "threadpoolctl not installed"


def optional_torch():
    """PyTorch if it is installed, else None: a bench still runs without it, leaving out the
    torch columns."""
    try:
        import torch
    except ImportError:
        return None
    return torch


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


@contextlib.contextmanager
def kernels_swapped(name, module):
    """Run the ops with ``module`` as the kernel family ``name`` (e.g. a ``load_baseline``
    module): ``dispatch.kernels`` hands out the modules it keeps in ``dispatch._loaded``,
    so that is the entry to replace (the attribute of ``autograd.kernels`` too, for code
    that imports the module directly)."""
    from autograd import dispatch
    from autograd import kernels as K

    loaded = dispatch._loaded.get(name) or dispatch._load(name)
    current = getattr(K, name)
    setattr(K, name, module)
    dispatch._loaded[name] = module
    try:
        yield
    finally:
        setattr(K, name, current)
        dispatch._loaded[name] = loaded


# The clock ``median_times`` uses when none is given: ``--clock thread`` of a kernel bench
# (``parse_kernel_bench_args``) swaps in time.thread_time.
_default_clock = [time.perf_counter]


def median_times(fns, repeats, clock=None, warmup=1):
    """Median seconds of a call of each of ``fns = {name: function}``. The functions take
    turns, so a passing load on the machine slows them alike; the first ``warmup`` rounds
    (compilation, first-touch allocations) go untimed."""
    clock = clock or _default_clock[0]
    times = {k: [] for k in fns}
    for r in range(warmup + repeats):
        for k, fn in fns.items():
            t0 = clock()
            fn()
            if r >= warmup:
                times[k].append(clock() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def in_backend(backend, step):
    """``step`` as a function run under ``autograd.backend(backend)`` (None: as it is)."""
    if backend is None:
        return step
    import autograd

    def run():
        with autograd.backend(backend):
            step()

    return run


def add_kernel_bench_options(ap, kernels: str):
    """The options of a bench of autograd/kernels/<kernels>.py: ``--kernels`` (also time each
    kernel alone), ``--baseline DIR`` (time that module of another tree as 'before', see
    ``load_baseline``) and ``--clock`` (see ``parse_kernel_bench_args``).

    ``--clock thread``: CPU time of the calling thread instead of wall time. On a loaded
    machine it leaves out the time the process spends preempted (wall-clock medians then swing
    by 2x); it counts only the calling thread, so 2-thread columns are then not meaningful."""
    ap.add_argument(
        "--kernels",
        action="store_true",
        help=f"also time kernels of kernels/{kernels}.py alone vs torch's ATen kernels",
    )
    ap.add_argument(
        "--baseline",
        metavar="DIR",
        help=f"source tree whose kernels/{kernels}.py to time as 'before' (1 thread)",
    )
    ap.add_argument(
        "--clock",
        choices=["wall", "thread"],
        default="wall",
        help="thread: time.thread_time (1-thread columns only)",
    )


def parse_kernel_bench_args(ap, kernels: str):
    """The command line of a bench of autograd/kernels/<kernels>.py: ``ap``'s own options and
    those of ``add_kernel_bench_options``; ``--clock`` becomes the clock ``median_times``
    uses by default."""
    add_kernel_bench_options(ap, kernels)
    args = ap.parse_args()
    _default_clock[0] = time.thread_time if args.clock == "thread" else time.perf_counter
    return args


# ---- one worker process per library ------------------------------------------------------
# With their default threads, two libraries' thread pools in one process fight for the cores:
# NumPy's OpenBLAS threads keep spinning for a while after a matmul, and torch's OpenMP threads
# wait for a core meanwhile (torch's steps measured several times slower in a process shared
# with jitgrad than in one of their own, and the ratios swung between runs; with one thread
# each they did not). So a bench runs each library in a worker process of its own: the parent
# hands the rounds to the workers in turn, pausing SETTLE seconds before each worker's turn so
# that the last one's threads have gone idle. Protocol lines (both ways) start with ``W|``;
# anything else a worker prints (a library's log) is passed over.
SETTLE = 0.2  # seconds


def serve_variants(variants, inner=1, warmup=3, first=None, clock=None, untimed=0):
    """The worker's side: warm up ``variants = {label: zero-argument step}`` (``warmup``
    calls each: kernels, allocator, caches), announce their labels (and ``first``, e.g. the
    seconds a compiling first call took), then answer each ``label`` line read from stdin
    with the seconds per call of ``inner`` calls of that variant and the minor page faults
    per call the worker took meanwhile (``_minor_faults``), until stdin closes.
    ``untimed``: calls of the variant just before each timed block, so that the block
    starts with the variant's own data back in the caches (the other variants run in
    between evict it)."""
    import json
    import warnings

    clock = clock or _default_clock[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn in variants.values():
            for _ in range(warmup):
                fn()
    print("W|" + json.dumps({"variants": list(variants), "first": first or {}}), flush=True)
    for line in sys.stdin:
        fn = variants[line.strip()]
        for _ in range(untimed):
            fn()
        f0, t0 = _minor_faults(), clock()
        for _ in range(inner):
            fn()
        t = clock() - t0
        print(f"W|{t / inner!r} {(_minor_faults() - f0) / inner!r}", flush=True)


def _minor_faults():
    """This process's minor page faults so far: each is a page the OS had to map (and
    zero) on first touch, e.g. of memory the allocator gave back after the previous step
    and takes again (system time that a step's CPU time includes). 0 where ``resource`` is
    missing (Windows)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _reply(proc):
    """The next protocol line of a worker."""
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("a benchmark worker stopped (see its stderr above)")
        if line.startswith("W|"):
            return line[2:]


def add_worker_option(ap, groups=("jitgrad", "torch")):
    """The internal ``--worker GROUP`` option of a bench that runs its libraries in worker
    processes (``worker_commands`` starts them with it)."""
    ap.add_argument("--worker", choices=list(groups), help="internal: a worker process")


def worker_commands(groups=("jitgrad", "torch")):
    """``{group: command}`` for ``Workers``: this bench's own command line (script and options,
    so each worker sees the same ``--threads``/``--clock``/... as the parent) plus ``--worker
    group``, for each group."""
    me = [sys.executable, os.path.abspath(sys.argv[0]), *sys.argv[1:]]
    return {g: [*me, "--worker", g] for g in groups}


class Workers:
    """The parent's side: one worker process per group, ``Workers({group: command})`` (each
    command a list that runs ``serve_variants``; the workers start one after the other, so a
    compile time in ``first`` is measured alone). ``labels[group]`` are the variants each
    announced, ``first`` their first-call figures; ``medians`` times them. Use it in a
    ``with`` block (the workers end with it)."""

    def __init__(self, commands):
        import json
        import subprocess

        self.procs, self.labels, self.first, self.faults = {}, {}, {}, {}
        try:
            for group, cmd in commands.items():
                self.procs[group] = subprocess.Popen(
                    cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
                )
                header = json.loads(_reply(self.procs[group]))
                self.labels[group] = header["variants"]
                self.first.update(header["first"])
        except BaseException:
            self.close()
            raise

    def medians(self, rounds, labels=None, stat=statistics.median):
        """Median (or ``stat``) seconds per call of each variant (or of those in ``labels``):
        ``rounds`` rounds in which each worker in turn, after a pause of ``SETTLE`` and an
        untimed call of its first variant, runs each of its variants once (``inner`` calls:
        see ``serve_variants``)."""
        chosen = {
            g: [x for x in ls if labels is None or x in labels] for g, ls in self.labels.items()
        }
        times = {x: [] for ls in chosen.values() for x in ls}
        for _ in range(rounds):
            for group, ls in chosen.items():
                if not ls:
                    continue
                proc = self.procs[group]
                time.sleep(SETTLE)
                # the first call after the pause runs on cold caches and an idle core: it
                # warms up, untimed, so the first variant in a turn is not penalised
                for i, label in enumerate(ls[:1] + ls):
                    proc.stdin.write(label + "\n")
                    proc.stdin.flush()
                    t, faults = map(float, _reply(proc).split())
                    if i:
                        times[label].append(t)
                        self.faults.setdefault(label, []).append(faults)
        return {k: stat(v) for k, v in times.items()}

    def fault_medians(self):
        """Median minor page faults per call of each variant timed so far (see
        ``serve_variants``)."""
        return {k: statistics.median(v) for k, v in self.faults.items()}

    def close(self):
        for proc in self.procs.values():
            with contextlib.suppress(OSError):
                proc.stdin.close()
            proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
