"""The MNIST-1D paper's results table, reproduced with jitgrad and PyTorch side by side.

Usage:  .venv/bin/python bench/mnist1d_table.py [--seeds 5] [--steps 8000] [--quick]
                                               [--models logistic,mlp,cnn,gru]
                                               [--update-results] [--threads 1]
                                               [--libs jitgrad,torch] [--same-init]

Greydanus (2020), "Scaling down deep learning", reports test accuracies on MNIST-1D of
logistic regression 32%, MLP 68%, CNN 94%, GRU 91%. This script trains the paper's models
(bench/_mnist1d.py: the repository's shapes) with the repository's training set-up
(``train.py``'s ``get_model_args``): Adam, learning rate 1e-2, no weight decay, batch 100
taken in order (``x[(step * 100) % 4000:][:100]``), 8000 steps, cross-entropy, float32;
the dataset is generated locally by ``mnist1d``'s ``make_dataset(get_dataset_args())``.
Every model is trained for each seed with jitgrad and with torch, alternately (so load
from other processes hits both alike); the initialisations come from each library's own
generator, so seed k is a different draw in each, and the comparison is between the
distributions: test accuracy after the last step, mean +- sd over seeds, and the training
time per run, wall clock and CPU (the periodic test evaluations for the curves are not
timed; on a loaded machine only the CPU time means much, with ``--threads 1``).

Prints a Markdown table (lines starting ``MD|``, which bench/run_all.py copies into
RESULTS.md as Markdown) and writes bench/mnist1d_table.png (accuracy per model with the
paper's figures, test-accuracy curves, time). ``--update-results`` also replaces the
MNIST-1D section of bench/RESULTS.md. ``--quick``: 2 seeds x 1000 steps (a smoke run).
``--same-init`` starts jitgrad from torch's initial parameters of the same seed, so the two
columns differ only by the training itself (float32 rounding of two implementations).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

import autograd  # noqa: E402
import nn  # noqa: E402
import nn.functional as F  # noqa: E402
import optim  # noqa: E402
from _goals import add_threads_option, set_threads  # noqa: E402  (bench/ is on sys.path when a bench runs)
from _mnist1d import MODELS, dataset  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

PAPER = {"logistic": 32, "mlp": 68, "cnn": 94, "gru": 91}  # test accuracy, %, Greydanus 2020
LIBS = {"jitgrad": types.SimpleNamespace(T=autograd, nn=nn, F=F, optim=optim)}
TORCH = None
if torch is not None:
    TORCH = LIBS["torch"] = types.SimpleNamespace(
        T=torch, nn=torch.nn, F=torch.nn.functional, optim=torch.optim
    )
SECTION = "## MNIST-1D: the paper's table, jitgrad and torch"


def train(L, model_name, seed, data, steps, eval_every, lr=1e-2, batch=100, init_from=None):
    """Train one model; returns (final test accuracy %, training wall seconds, CPU seconds of
    the process, [(step, acc)]). ``init_from``: another library whose seed-``seed``
    initialisation to copy into the model (``--same-init``)."""
    L.T.manual_seed(seed)
    model = MODELS[model_name](L)
    if init_from is not None:
        init_from.T.manual_seed(seed)
        state = MODELS[model_name](init_from).state_dict()
        model.load_state_dict({k: L.T.tensor(v.detach().numpy()) for k, v in state.items()})
    opt = L.optim.Adam(model.parameters(), lr=lr, weight_decay=0)
    x, y, xt, yt = (L.T.from_numpy(a) for a in data)

    def test_accuracy():
        with L.T.no_grad():
            pred = model(xt).argmax(-1)
        return 100.0 * float((pred == yt).float().mean())

    curve, wall, cpu = [], 0.0, 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    for step in range(steps + 1):  # steps + 1 updates, like the paper's loop
        i = (step * batch) % len(x)
        loss = L.F.cross_entropy(model(x[i : i + batch]), y[i : i + batch])
        loss.backward()
        opt.step()
        opt.zero_grad()
        if step % eval_every == 0 or step == steps:
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
            curve.append((step, test_accuracy()))
            t0, c0 = time.perf_counter(), time.process_time()
    return curve[-1][1], wall, cpu, curve


def run(models, seeds, steps, eval_every, same_init=False):
    data = dataset()
    results = {}  # (model, lib) -> list of (acc, wall seconds, CPU seconds, curve)
    for m in models:
        for seed in range(seeds):
            for lib, L in LIBS.items():
                init_from = TORCH if same_init and lib == "jitgrad" else None
                res = train(L, m, seed, data, steps, eval_every, init_from=init_from)
                results.setdefault((m, lib), []).append(res)
                print(
                    f"{m:9s} seed {seed} {lib:8s} test accuracy {res[0]:5.1f}%  wall {res[1]:6.1f} s"
                    f"  CPU {res[2]:6.1f} s",
                    flush=True,
                )
    return results


def _mean_sd(v):
    return statistics.mean(v), (statistics.stdev(v) if len(v) > 1 else 0.0)


def _mean(results, key, k):
    return statistics.mean([r[k] for r in results[key]])


def table(results, models, seeds, steps):
    libs = list(LIBS)
    head = (
        ["model", "paper"]
        + [f"{lib} accuracy" for lib in libs]
        + [f"{lib} wall / CPU per run" for lib in libs]
    )
    lines = [
        f"{seeds} seeds x {steps} steps each; accuracy: test set after the last step, "
        "mean ± sd over seeds; time: training time per run (mean), wall clock / CPU time of "
        "the process, and wall ms per step.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for m in models:
        row = [m, f"{PAPER[m]}%"]
        for lib in libs:
            mean, sd = _mean_sd([r[0] for r in results[(m, lib)]])
            row.append(f"{mean:.1f} ± {sd:.1f}%")
        for lib in libs:
            wall, cpu = _mean(results, (m, lib), 1), _mean(results, (m, lib), 2)
            row.append(f"{wall:.1f} s / {cpu:.1f} s ({wall / (steps + 1) * 1e3:.2f} ms)")
        lines.append("| " + " | ".join(row) + " |")
    if len(LIBS) == 2:
        lines += [""] + [
            f"Time ratio jitgrad / torch, {what}: "
            + ", ".join(
                f"{m} {_mean(results, (m, 'jitgrad'), k) / _mean(results, (m, 'torch'), k):.2f}"
                for m in models
            )
            + "."
            for what, k in (("wall", 1), ("CPU", 2))
        ]
    return lines


def plot(results, models, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import ScalarFormatter

    libs = list(LIBS)
    colors = {"jitgrad": "tab:blue", "torch": "tab:orange"}
    x = np.arange(len(models))
    width = 0.8 / len(libs)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    for k, lib in enumerate(libs):
        stats = [_mean_sd([r[0] for r in results[(m, lib)]]) for m in models]
        ax.bar(
            x + (k - (len(libs) - 1) / 2) * width,
            [s[0] for s in stats],
            width,
            yerr=[s[1] for s in stats],
            capsize=4,
            label=lib,
            color=colors[lib],
        )
    ax.scatter(x, [PAPER[m] for m in models], marker="_", s=900, color="k", zorder=3, label="paper")
    ax.set_xticks(x, models)
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title("final test accuracy (mean ± sd over seeds)")
    ax.legend(loc="upper left")
    ax = axes[1]
    for j, m in enumerate(models):
        for lib in libs:
            curves = np.array([[a for _, a in r[3]] for r in results[(m, lib)]])
            steps = [s for s, _ in results[(m, lib)][0][3]]
            ax.plot(
                steps,
                curves.mean(0),
                color=f"C{j + 2}",
                ls="-" if lib == "jitgrad" else "--",
                lw=1.2,
                label=m if lib == "jitgrad" else None,
            )
    ax.set_xlabel("step")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("test accuracy during training\n(mean over seeds; jitgrad solid, torch dashed)")
    ax.legend(loc="lower right", fontsize=8)
    ax = axes[2]
    for k, lib in enumerate(libs):
        pos = x + (k - (len(libs) - 1) / 2) * width
        ax.bar(
            pos,
            [_mean(results, (m, lib), 1) for m in models],
            width,
            label=f"{lib} wall",
            color=colors[lib],
        )
        ax.bar(
            pos,
            [_mean(results, (m, lib), 2) for m in models],
            width * 0.4,
            label="CPU" if k == 0 else None,
            color="k",
            alpha=0.35,
        )
    ax.set_xticks(x, models)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.set_ylabel("training time per run (s)")
    ax.set_title("time per run (wall; CPU as the narrow bar)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def update_results(markdown: str, path=os.path.join(HERE, "RESULTS.md")):
    """Replace (or append) this script's section of RESULTS.md."""
    text = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
    start = text.find(SECTION)
    if start >= 0:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + markdown + ("" if end < 0 else text[end:])
    else:
        text = text.rstrip("\n") + "\n\n" + markdown
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--eval-every", type=int, default=500, help="test-accuracy curve resolution")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--quick", action="store_true", help="2 seeds x 1000 steps")
    ap.add_argument("--plot", default=os.path.join(HERE, "mnist1d_table.png"))
    ap.add_argument(
        "--update-results", action="store_true", help="also write the table into bench/RESULTS.md"
    )
    ap.add_argument("--libs", default=",".join(LIBS), help="comma-separated: jitgrad,torch")
    ap.add_argument(
        "--same-init",
        action="store_true",
        help="jitgrad starts from torch's seed-k initial parameters (separates "
        "initialisation luck from training differences)",
    )
    add_threads_option(ap)
    args = ap.parse_args()
    if args.threads:
        set_threads(args.threads)
    if args.quick:
        args.seeds, args.steps, args.eval_every = 2, 1000, 250
    if args.same_init and TORCH is None:
        ap.error("--same-init needs torch")
    for lib in [lib for lib in LIBS if lib not in args.libs.split(",")]:
        del LIBS[lib]
    models = [m for m in args.models.split(",") if m]
    from autograd import kernels

    kernels.warmup(("float32",))  # compile / load every kernel before timing anything
    results = run(models, args.seeds, args.steps, args.eval_every, args.same_init)
    lines = table(results, models, args.seeds, args.steps)
    plot(results, models, args.plot)
    rel = os.path.relpath(args.plot, HERE)
    lines += ["", f"![MNIST-1D: accuracy, curves, time]({rel})"]
    print()
    for line in lines:
        print("MD|" + line)
    if args.update_results:
        command = " ".join(["python bench/mnist1d_table.py"] + sys.argv[1:])
        update_results(
            "\n".join(
                [
                    SECTION,
                    "",
                    f"`{command}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
                    "",
                ]
                + lines
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
