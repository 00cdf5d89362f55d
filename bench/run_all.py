"""Run every benchmark and write bench/RESULTS.md (machine description + each table).

Usage:  .venv/bin/python bench/run_all.py [--quick]

Each benchmark is a separate process (so Numba compilation and torch's threads of one do
not leak into the next); their printed tables are collected verbatim, except lines starting
``GOAL|`` (collected into the goals table at the top) and ``MD|`` (Markdown, copied as it is:
tables and the plot of mnist1d_table.py).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys

from _goals import parse

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHES = [
    (
        "Per-op overhead and deep chain",
        "bench_overhead.py",
        [],
        ["--repeats", "3", "--depth", "20000"],
    ),
    ("Training steps (MLP, small CNN)", "bench_training.py", [], ["--repeats", "5"]),
    (
        "Matrix products of those models, one at a time (1 thread)",
        "bench_gemm.py",
        ["--threads", "1"],
        ["--threads", "1", "--repeats", "3", "--inner", "5"],
    ),
    ("Optimizer step (~0.8M parameters)", "bench_optim.py", [], ["--reps", "20"]),
    ("Start-up: import + first training step", "bench_startup.py", [], ["--repeats", "2"]),
    (
        "Fused activations (10M float32)",
        "bench_activation.py",
        [],
        ["--n", "2000000", "--repeats", "3"],
    ),
    ("layer_norm / batch_norm forward+backward", "bench_norm.py", [], ["--repeats", "5"]),
    ("conv2d / max_pool2d forward+backward", "bench_conv.py", [], ["--repeats", "5", "--skip-big"]),
    ("Reductions along an axis forward+backward", "bench_reduce.py", [], ["--repeats", "7"]),
    (
        "softmax / log_softmax / cross_entropy forward+backward",
        "bench_softmax.py",
        [],
        ["--repeats", "5"],
    ),
    ("Data-parallel training over MPI, 1 vs 2 ranks", "bench_distributed.py", [], ["--steps", "4"]),
    (
        "Recurrent layers (RNN / GRU / LSTM) forward+backward",
        "bench_rnn.py",
        [],
        ["--repeats", "5"],
    ),
    (
        "Small models: training steps (eager, compiled, torch.compile)",
        "bench_small_models.py",
        [],
        ["--rounds", "5", "--no-torch-compile"],
    ),
    # the longest: 5 seeds x 4 models x 2 libraries, ~10 minutes of training
    ("MNIST-1D: the paper's table, jitgrad and torch", "mnist1d_table.py", [], ["--quick"]),
]


def machine() -> str:
    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repeats, smaller arrays")
    args = ap.parse_args()
    header = [
        f"# Benchmark results\n\n{datetime.date.today()} on {machine()}.\n"
        "Ratios are what to read: this machine is shared and absolute times move.\n"
    ]
    parts, goals = [], []
    for title, script, full, quick in BENCHES:
        cmd = [sys.executable, os.path.join(HERE, script)] + (quick if args.quick else full)
        print("running", " ".join(cmd[1:]), flush=True)
        res = subprocess.run(cmd, capture_output=True, text=True)
        body = res.stdout.strip() or res.stderr.strip()[-2000:]
        goals += parse(body)
        markdown = [line[3:] for line in body.splitlines() if line.startswith("MD|")]
        body = "\n".join(
            line for line in body.splitlines() if not line.startswith(("GOAL|", "MD|"))
        )
        parts.append(
            f"## {title}\n\n`{' '.join(['python', 'bench/' + script] + cmd[2:])}`\n\n"
            f"```\n{body}\n```\n" + ("\n".join(markdown) + "\n" if markdown else "")
        )
    table = [
        "## Goals (issues 3 and 17)\n",
        "| benchmark | measured | goal | |",
        "|---|---|---|---|",
    ]
    table += [f"| {what} | {value} | {target} | {met} |" for what, value, target, met in goals]
    out = os.path.join(HERE, "RESULTS.md")
    with open(out, "w") as f:
        f.write("\n".join(header + ["\n".join(table) + "\n"] + parts))
    print("wrote", out)


if __name__ == "__main__":
    main()
