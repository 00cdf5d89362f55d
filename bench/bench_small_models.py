"""Training steps of the small models people train while learning: jitgrad vs PyTorch CPU.

Usage:  .venv/bin/python bench/bench_small_models.py [--rounds 20] [--models char-gru,bigram]
                           [--no-torch-compile] [--threads 1] [--clock wall|thread]
                           [--jitgrad-tree DIR] [--baseline-tree DIR] [--parts]
                           [--kernel-threads 1,2]

Models (float32; each written once below and run on both libraries):

1. ``mnist1d-cnn``: the MNIST-1D paper's 3-conv model (25 channels, 5210 parameters),
   batch 100, Adam;
2. ``mnist1d-mlp``: the paper's MLP 40-100-100-10 with a residual connection, batch 100, Adam;
3. ``char-mlp``: a character-level MLP language model (3 characters of context, embedding
   10, hidden 200, vocabulary 27, the "makemore" model), batch 32, SGD;
4. ``bigram``: a bigram language model (one ``Embedding``, vocabulary 65, batch 32x8, AdamW)
   whose ``get_batch`` runs inside the step as such scripts write it: 0-dim index tensors
   from ``randint``, ``data[i:i+8]`` slices, ``stack``;
5. ``char-gru``: embedding 16 -> GRU(hidden 64) -> linear, sequence 16, batch 32, Adam;
6. ``transformer``: 2 pre-norm blocks, width 64, 4 heads, context 32, batch 16 (causal
   self-attention written out, GELU MLP, AdamW).

Only ``bigram`` prepares its batch per step; the others reuse one batch prepared outside
the timed loop (the step time does not depend on the values, so random data stands in for
the datasets). Columns, ms per training step (forward, ``backward()``, ``step()``,
``zero_grad``), medians over interleaved rounds (each round runs every variant for a few
steps in turn, so load from other processes hits them alike):

* ``jitgrad eager``;
* ``jitgrad compiled``: ``autograd.compile(train_step)``, "n/a" while ``autograd.compile``
  is the stub that returns its argument unchanged;
* ``torch eager``;
* ``torch.compile``: ``torch.compile(train_step)`` (dynamo breaks the graph at
  ``backward()``; forward+backward and the optimizer step are compiled), steady state;
  its first call (the compile time, cold: an empty inductor cache) is reported separately,
  as is jitgrad compiled's.

With ``--kernel-threads 1,2``, jitgrad's variants also run on 2 kernel threads
(``autograd.kernels.set_num_threads``), columns ``jitgrad eager kt2`` / ``jitgrad compiled
kt2`` of the same run (the ratios and goals stay those of the 1-thread columns).

Each worker also counts its minor page faults per step (pages the OS had to map and zero
on first touch, whose system time a step's CPU time includes: a process whose allocator
gives memory back after every step pays it again each step); their medians are printed
under the table.

Ratios are to torch eager in the same run (lower is better). Issue 17's goals: eager
<= 1.0x torch eager; compiled <= 0.5x torch eager and <= 1.0x torch.compile.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
import types
import warnings

import numpy as np

from _common import Workers, optional_torch, serve_variants  # bench/ is on sys.path
from _goals import add_kernel_threads_option, add_threads_option, goal, jitgrad_tree, set_threads
from _goals import add_tree_and_clock_options, kernel_threads_suffix, with_kernel_threads

sys.path.insert(0, jitgrad_tree())

import autograd
import nn
import nn.functional as F
import optim
from _mnist1d import cnn as mnist1d_cnn, mlp as mnist1d_mlp

# torch.compile's first call is reported as its compile time: measure it cold, with an empty
# inductor cache of our own (the default cache in /tmp would make a second run look fast)
if "TORCHINDUCTOR_CACHE_DIR" not in os.environ:
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-inductor-")
    atexit.register(shutil.rmtree, os.environ["TORCHINDUCTOR_CACHE_DIR"], ignore_errors=True)
torch = optional_torch()

JITGRAD = types.SimpleNamespace(name="jitgrad", T=autograd, nn=nn, F=F, optim=optim)
TORCH = (
    types.SimpleNamespace(
        name="torch", T=torch, nn=torch.nn, F=torch.nn.functional, optim=torch.optim
    )
    if torch is not None
    else None
)


# ---- the models: one definition, either library (``L`` holds its namespaces) -----------
def char_mlp(L, vocab=27, block=3, emb=10, hidden=200):
    class CharMLP(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = L.nn.Embedding(vocab, emb)
            self.hidden = L.nn.Linear(block * emb, hidden)
            self.out = L.nn.Linear(hidden, vocab)

        def forward(self, idx):
            e = self.emb(idx)
            return self.out(self.hidden(e.view(e.shape[0], -1)).tanh())

    return CharMLP()


def bigram(L, vocab=65):
    class Bigram(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.table = L.nn.Embedding(vocab, vocab)

        def forward(self, idx):
            return self.table(idx)

    return Bigram()


def char_gru(L, vocab=65, emb=16, hidden=64):
    class CharGRU(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = L.nn.Embedding(vocab, emb)
            self.gru = L.nn.GRU(emb, hidden, batch_first=True)
            self.out = L.nn.Linear(hidden, vocab)

        def forward(self, idx):
            h, _ = self.gru(self.emb(idx))
            return self.out(h)

    return CharGRU()


def transformer(L, vocab=65, width=64, heads=4, context=32, layers=2):
    """A GPT-style decoder as written in tutorials: pre-norm blocks, causal attention."""

    class Attention(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = L.nn.Linear(width, 3 * width)
            self.proj = L.nn.Linear(width, width)
            self.register_buffer("tril", L.T.tril(L.T.ones(context, context)))

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(x).split(C, dim=2)
            q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2) for t in (q, k, v))
            att = (q @ k.transpose(-2, -1)) * (1.0 / (C // heads) ** 0.5)
            att = att.masked_fill(self.tril[:T, :T] == 0, float("-inf")).softmax(-1)
            y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
            return self.proj(y)

    class Block(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = L.nn.LayerNorm(width), L.nn.LayerNorm(width)
            self.attn = Attention()
            self.mlp = L.nn.Sequential(
                L.nn.Linear(width, 4 * width), L.nn.GELU(), L.nn.Linear(4 * width, width)
            )

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = L.nn.Embedding(vocab, width)
            self.pos = L.nn.Embedding(context, width)
            self.blocks = L.nn.Sequential(*[Block() for _ in range(layers)])
            self.ln = L.nn.LayerNorm(width)
            self.head = L.nn.Linear(width, vocab)

        def forward(self, idx):
            T = idx.shape[1]
            x = self.tok(idx) + self.pos(L.T.arange(T))
            return self.head(self.ln(self.blocks(x)))

    return GPT()


# name: (model builder, optimizer, lr, input shape, vocabulary (None: float input), get_batch)
MODELS = {
    "mnist1d-cnn": (mnist1d_cnn, "Adam", 1e-2, (100, 40), None, False),
    "mnist1d-mlp": (mnist1d_mlp, "Adam", 1e-2, (100, 40), None, False),
    "char-mlp": (char_mlp, "SGD", 0.1, (32, 3), 27, False),
    "bigram": (bigram, "AdamW", 1e-2, (32, 8), 65, True),
    "char-gru": (char_gru, "Adam", 1e-3, (32, 16), 65, False),
    "transformer": (transformer, "AdamW", 1e-3, (16, 32), 65, False),
}


def make_get_batch(L, rng, vocab, shape):
    """The nanoGPT-style ``get_batch`` of the bigram model: 0-dim index tensors from
    ``randint``, ``data[i:i+T]`` slices, ``stack``."""
    data = L.T.from_numpy(rng.integers(0, vocab, 100_000))
    B, T = shape

    def get_batch():
        ix = L.T.randint(len(data) - T, (B,))
        x = L.T.stack([data[i : i + T] for i in ix])
        y = L.T.stack([data[i + 1 : i + T + 1] for i in ix])
        return x, y

    return get_batch


def make_step(name, L, compile_fn=None, fixed_batch=False):
    """A zero-argument training step for model ``name`` on library ``L``; ``compile_fn``
    (e.g. ``torch.compile``) wraps the part after the batch is prepared. ``fixed_batch``:
    the bigram's ``get_batch`` runs once, outside the step (for ``--parts``)."""
    build, opt_name, lr, shape, vocab, per_step_batch = MODELS[name]
    L.T.manual_seed(0)
    rng = np.random.default_rng(0)
    model = build(L)
    opt = getattr(L.optim, opt_name)(model.parameters(), lr=lr)
    per_position = len(shape) == 2 and vocab is not None and name != "char-mlp"

    def train(x, y):
        logits = model(x)
        if per_position:  # language models predict every position
            logits, y = logits.view(-1, logits.shape[-1]), y.view(-1)
        loss = L.F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    if compile_fn is not None:
        train = compile_fn(train)
    if per_step_batch:  # the nanoGPT-style get_batch, run every step
        get_batch = make_get_batch(L, rng, vocab, shape)
        if fixed_batch:
            batch = get_batch()
            return lambda: train(*batch)
        return lambda: train(*get_batch())
    if vocab is None:
        x = L.T.from_numpy(rng.standard_normal(shape).astype(np.float32))
        y = L.T.from_numpy(rng.integers(0, 10, shape[0]))
    else:
        x = L.T.from_numpy(rng.integers(0, vocab, shape))
        y = L.T.from_numpy(rng.integers(0, vocab, shape[0] if name == "char-mlp" else shape))
    return lambda: train(x, y)


def jitgrad_compile():
    """``autograd.compile`` once it is the step JIT; None while it is missing or is the
    compatibility stub that returns its argument unchanged (scripts that call
    ``torch.compile`` run, nothing is compiled)."""
    fn = getattr(autograd, "compile", None)
    if fn is None:
        return None

    def probe():
        pass

    return None if fn(probe) is probe else fn


# ---- one process per library (see _common.SETTLE for why) ------------------------------
def serve(lib, name, inner, use_torch_compile, kernel_threads=(1,)):
    """``--worker LIB``: build model ``name``'s variants on one library, time their first
    (compiling) calls, then serve them to the parent (``_common.serve_variants``); jitgrad's
    also on each other count of ``kernel_threads`` (labels ending in `` kt2``...). LIB
    "baseline" is jitgrad imported from ``--baseline-tree`` (its variants are labelled
    "baseline ...")."""
    L = TORCH if lib == "torch" else JITGRAD
    variants, first = {f"{lib} eager": make_step(name, L)}, {}
    if lib != "torch":
        compiled = (f"{lib} compiled", jitgrad_compile())
    else:
        compiled = ("torch.compile", torch.compile if use_torch_compile else None)
    if compiled[1] is not None:
        step = make_step(name, L, compiled[1])
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            step()  # compiles
        first[compiled[0]] = time.perf_counter() - t0
        variants[compiled[0]] = step
    if lib == "jitgrad":
        for n in kernel_threads:
            if n != 1:
                variants[f"jitgrad eager{kernel_threads_suffix(n)}"] = with_kernel_threads(
                    make_step(name, L), n
                )
                if compiled[1] is not None:
                    step = with_kernel_threads(make_step(name, L, compiled[1]), n)
                    step()  # (compiles)
                    variants[f"{compiled[0]}{kernel_threads_suffix(n)}"] = step
    serve_variants(variants, inner, first=first, clock=CLOCK[0])


def bench_model(name, rounds, inner, use_torch_compile, worker_args, baseline=None):
    """Median ms/step of every available variant, and the compiled variants' first call:
    one worker process per library (and one for jitgrad from the ``baseline`` tree, if
    given), ``rounds`` rounds in which each worker runs its variants in turn
    (``_common.Workers``)."""
    libs = ["jitgrad"] + (["torch"] if TORCH is not None else [])
    libs += ["baseline"] if baseline else []
    commands = {}
    for lib in libs:
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", lib, "--models", name]
        cmd += ["--inner", str(inner), *worker_args]
        if lib == "baseline":
            cmd[2:2] = ["--jitgrad-tree", baseline]  # (the first one is the one imported)
        commands[lib] = cmd + ([] if use_torch_compile else ["--no-torch-compile"])
    with Workers(commands) as workers:
        med = workers.medians(rounds)
        FAULTS[name] = workers.fault_medians()
        return {k: v * 1e3 for k, v in med.items()}, workers.first


def interleaved_medians(fns, rounds, calls):
    """Median ms per call of each of ``fns = {key: function}``: after a warm-up (kernels,
    allocator, torch's caches), ``rounds`` rounds in which each function runs ``calls(key)``
    times in turn, so load from other processes hits them alike."""
    for fn in fns.values():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(3):
                fn()
    times = {k: [] for k in fns}
    clock = CLOCK[0]
    for _ in range(rounds):
        for k, fn in fns.items():
            n = calls(k)
            t0 = clock()
            for _ in range(n):
                fn()
            times[k].append((clock() - t0) / n)
    return {k: statistics.median(v) * 1e3 for k, v in times.items()}


def bigram_parts(rounds, inner):
    """``--parts``: where the bigram step's time goes, jitgrad vs torch in one run (ms per
    call, medians of interleaved rounds): its ``get_batch`` as a whole and per piece (one
    call each of randint, iterating the 32 indices, ``i + 8``, ``data[i:j]`` with 0-d tensor
    bounds, stack of 32 rows), and the step on a fixed batch (eager, compiled, torch)."""
    libs = [JITGRAD] + ([TORCH] if TORCH is not None else [])
    fns = {}
    for L in libs:
        rng = np.random.default_rng(0)
        get_batch = make_get_batch(L, rng, 65, (32, 8))
        data = L.T.from_numpy(rng.integers(0, 65, 1000))
        ix = L.T.randint(990, (32,))
        i = next(iter(ix))
        j, rows = i + 8, [data[k : k + 8] for k in ix]
        pieces = {
            "get_batch": get_batch,
            "  randint(N, (32,))": lambda L=L: L.T.randint(99992, (32,)),
            "  for i in ix (32)": lambda ix=ix: [k for k in ix],
            "  i + 8 (0-d int64)": lambda i=i: i + 8,
            "  data[i:j] (0-d bounds)": lambda data=data, i=i, j=j: data[i:j],
            "  stack(32 rows)": lambda L=L, rows=rows: L.T.stack(rows),
            "step, fixed batch": make_step("bigram", L, fixed_batch=True),
        }
        if L is JITGRAD and jitgrad_compile() is not None:
            pieces["compiled step, fixed batch"] = make_step(
                "bigram", L, jitgrad_compile(), fixed_batch=True
            )
        for k, fn in pieces.items():
            fns[(k, L.name)] = fn
    whole = ("get_batch", "step", "compiled")  # (the pieces: 20x as many calls per round)
    med = interleaved_medians(
        fns, rounds, lambda k: inner if k[0].startswith(whole) else 20 * inner
    )
    print(f"\nbigram, where the time goes (ms per call){'':14s}jitgrad       torch   ratio")
    for what in dict.fromkeys(k for k, _ in fns):
        ours, theirs = med[(what, "jitgrad")], med.get((what, "torch"))
        if what.startswith("compiled"):
            theirs = med.get(("step, fixed batch", "torch"))
            what += " (vs torch eager)"
        ratio = f"{ours / theirs:8.2f}" if theirs else f"{'n/a':>8s}"
        cell = f"{theirs:12.4f}" if theirs else f"{'n/a':>12s}"
        print(f"{what:48s}{ours:10.4f}{cell}{ratio}")


# --clock thread: CPU time of the calling thread (time.thread_time) instead of wall time; on a
# loaded machine it leaves out the time spent preempted. Use it with --threads 1 only (other
# threads' work is not counted).
CLOCK = [time.perf_counter]

COLUMNS = ("jitgrad eager", "jitgrad compiled", "torch eager", "torch.compile")
FAULTS: dict = {}  # model -> {variant: median minor page faults per step} (bench_model)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20, help="interleaved rounds (median over them)")
    ap.add_argument("--inner", type=int, default=5, help="steps per variant per round")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset")
    ap.add_argument(
        "--no-torch-compile",
        action="store_true",
        help="skip torch.compile (it spends ~10-30 s compiling each model)",
    )
    add_threads_option(ap)
    add_kernel_threads_option(ap)
    add_tree_and_clock_options(ap)
    ap.add_argument(
        "--worker",
        choices=["jitgrad", "torch", "baseline"],
        help="internal: one library's worker process",
    )
    ap.add_argument(
        "--parts",
        action="store_true",
        help="also break the bigram step down: get_batch and its pieces, the step alone "
        "(both libraries in this one process: use with --threads 1, see _common.SETTLE)",
    )
    args = ap.parse_args()
    if args.clock == "thread":
        CLOCK[0] = time.thread_time
    if args.threads:
        set_threads(args.threads)
    from autograd import kernels

    names = [m for m in args.models.split(",") if m]
    if args.worker:
        if args.worker != "torch":
            kernels.warmup(("float32",))
        serve(args.worker, names[0], args.inner, not args.no_torch_compile, args.kernel_threads)
        return
    kernels.warmup(("float32",))
    worker_args = ["--clock", args.clock, "--threads", str(args.threads)]
    worker_args += ["--kernel-threads", ",".join(map(str, args.kernel_threads))]
    extra = [
        f"jitgrad {kind}{kernel_threads_suffix(n)}"
        for n in args.kernel_threads
        if n != 1
        for kind in ("eager", "compiled")
    ]
    columns = [*COLUMNS, *extra]
    if args.jitgrad_tree:
        worker_args += ["--jitgrad-tree", args.jitgrad_tree]
    print(f"jitgrad from {os.path.dirname(autograd.__file__)}")
    print(
        f"torch {torch.__version__ if torch else '-'}, threads "
        f"{torch.get_num_threads() if torch else '-'}; BLAS threads "
        f"{args.threads or 'default'}; {args.clock} clock; ms per training step, median of "
        f"{args.rounds} interleaved rounds x {args.inner} steps, one worker process per library"
    )
    print(
        f"{'model':12s}"
        + "".join(f"{c:>18s}" for c in COLUMNS)
        + "".join(f"{c:>22s}" for c in extra)
        + "   eager/torch  compiled/torch  compiled/torch.compile"
    )
    results = {}
    for name in names:
        med, first = bench_model(
            name,
            args.rounds,
            args.inner,
            not args.no_torch_compile,
            worker_args,
            args.baseline_tree,
        )
        results[name] = (med, first)
        cells = "".join(
            f"{med[c]:{w - 3}.3f} ms" if c in med else f"{'n/a':>{w}s}"
            for c, w in zip(columns, [18] * len(COLUMNS) + [22] * len(extra))
        )
        te, tc, jc = med.get("torch eager"), med.get("torch.compile"), med.get("jitgrad compiled")
        ratios = [
            med["jitgrad eager"] / te if te else None,
            jc / te if jc and te else None,
            jc / tc if jc and tc else None,
        ]
        print(
            f"{name:12s}{cells}   "
            + "  ".join(f"{r:11.2f}" if r else f"{'n/a':>11s}" for r in ratios),
            flush=True,
        )
        if "baseline eager" in med and te:
            bc = med.get("baseline compiled")
            print(
                f"{'  baseline':12s}{med['baseline eager']:15.3f} ms"
                + (f"{bc:15.3f} ms" if bc else f"{'n/a':>18s}")
                + f"{'':36s}   {med['baseline eager'] / te:11.2f}"
                + (f"  {bc / te:11.2f}" if bc else ""),
                flush=True,
            )
    print("\nminor page faults per step (medians; pages the OS mapped and zeroed anew):")
    for name in results:
        print(f"{name:12s}" + "   ".join(f"{k} {v:.0f}" for k, v in FAULTS[name].items()))
    if args.parts:
        bigram_parts(args.rounds, args.inner)
    if any(first for _, first in results.values()):
        print("\nfirst call (compile time), seconds:")
        for name, (_, first) in results.items():
            print(f"{name:12s}" + "".join(f"{k} {v:.2f}   " for k, v in first.items()))
    for name, (med, first) in results.items():
        te, tc, jc = med.get("torch eager"), med.get("torch.compile"), med.get("jitgrad compiled")
        if te:
            goal(
                f"{name} training step, jitgrad eager / torch eager",
                med["jitgrad eager"] / te,
                "<=",
                1.0,
            )
            if jc:
                goal(f"{name} training step, jitgrad compiled / torch eager", jc / te, "<=", 0.5)
        if jc and tc:
            goal(f"{name} training step, jitgrad compiled / torch.compile", jc / tc, "<=", 1.0)
    if "mnist1d-cnn" in results and "jitgrad compiled" in results["mnist1d-cnn"][1]:
        goal(
            "mnist1d-cnn training step, jitgrad compile time (warm Numba cache)",
            results["mnist1d-cnn"][1]["jitgrad compiled"],
            "<=",
            1.0,
            " s",
        )


if __name__ == "__main__":
    main()
