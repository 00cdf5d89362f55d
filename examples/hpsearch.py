"""Hyper-parameter search with Optuna: worker processes share one study in a database.

    python examples/hpsearch.py --workers 2 --trials 10      # 2 processes, one SQLite file

    # several machines, one database server: create the study once, then start workers anywhere
    python examples/hpsearch.py --workers 0 --storage postgresql://user:pw@dbhost/hp
    python examples/hpsearch.py --worker --worker-id 3 --storage postgresql://user:pw@dbhost/hp

An MLP on scikit-learn's 8x8 digits; the search tunes the learning rate, the hidden width
and the weight decay (TPE sampler). After every epoch each trial reports its validation
accuracy; the pruner (median or Hyperband) stops trials that are behind the others at the
same epoch. The study lives in the database, so workers may join, crash or be restarted at
any time. The coordinator (without ``--worker``) creates the study and runs one known-good
configuration itself first (the pruner then has a finished trial to compare with; enqueuing
it for the workers instead would let two of them pop the same trial, an Optuna race with
SQLite), starts ``--workers`` worker processes, then prints the result and writes Optuna's
plots to ``--out``.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import optuna

import autograd
import nn
import nn.functional as F
import optim
from autograd import datasets, transforms as T
from autograd.training import OptunaObjective, plot_study
from autograd.utils.data import DataLoader

BASELINE = {"lr": 0.1, "hidden": 64, "weight_decay": 1e-4}  # a configuration known to work


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--storage",
        default="sqlite:///out/hpsearch/study.db",
        help="SQLAlchemy URL of the shared database",
    )
    ap.add_argument("--study-name", default="digits-mlp")
    ap.add_argument("--workers", type=int, default=2, help="worker processes to start here")
    ap.add_argument("--trials", type=int, default=10, help="trials per worker")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--lr-low", type=float, default=1e-3)
    ap.add_argument("--lr-high", type=float, default=1.0)
    ap.add_argument("--pruner", choices=["median", "hyperband"], default="median")
    ap.add_argument(
        "--startup-trials",
        type=int,
        default=3,
        help="median pruner: finished trials needed before it prunes",
    )
    ap.add_argument("--out", default="out/hpsearch", help="where the plots go")
    ap.add_argument("--worker", action="store_true", help="run one worker in this process")
    ap.add_argument("--worker-id", type=int, default=0)
    return ap.parse_args(argv)


def storage(url):
    if url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(os.path.abspath(url[len("sqlite:///") :])), exist_ok=True)
        # SQLite lets one process write at a time: wait for the lock instead of failing
        return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}})
    return url


def pruner(args):
    if args.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=args.epochs)
    # prune from the third epoch on, once --startup-trials trials have finished
    return optuna.pruners.MedianPruner(n_startup_trials=args.startup_trials, n_warmup_steps=2)


def work(args, n_trials, label):
    """Run ``n_trials`` trials of the shared study in this process; each trial records
    ``label`` as its ``user_attrs["worker"]``."""
    autograd.manual_seed(args.worker_id)
    tf = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    train = DataLoader(datasets.Digits(train=True, transform=tf), batch_size=64, shuffle=True)
    val = DataLoader(datasets.Digits(train=False, transform=tf), batch_size=500)

    def build(trial):
        trial.set_user_attr("worker", label)
        lr = trial.suggest_float("lr", args.lr_low, args.lr_high, log=True)
        hidden = trial.suggest_int("hidden", 16, 128, log=True)
        weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
        model = nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))
        return model, optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)

    objective = OptunaObjective(build, train, val, F.cross_entropy, epochs=args.epochs)
    study = optuna.load_study(
        study_name=args.study_name,
        storage=storage(args.storage),
        sampler=optuna.samplers.TPESampler(seed=args.worker_id),
        pruner=pruner(args),
    )
    study.optimize(objective, n_trials=n_trials)


def main(argv=None):
    args = parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.worker:
        work(args, args.trials, args.worker_id)
        return
    study = optuna.create_study(
        study_name=args.study_name,
        storage=storage(args.storage),
        direction="maximize",
        load_if_exists=True,
    )
    if not study.trials:
        study.enqueue_trial(BASELINE, skip_if_exists=True)
        with warnings.catch_warnings():  # the baseline may lie outside the searched ranges
            warnings.filterwarnings("ignore", "Fixed parameter", UserWarning)
            work(args, 1, "baseline")
    print(
        f"study {args.study_name!r} in {args.storage}: {len(study.trials)} trials so far; "
        f"starting {args.workers} workers x {args.trials} trials"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", "--worker-id", str(i)]
            + _passed_on(argv)
        )
        for i in range(args.workers)
    ]
    failed = [i for i, w in enumerate(workers) if w.wait() != 0]
    if failed:
        sys.exit(f"worker(s) {failed} failed")
    study = optuna.load_study(study_name=args.study_name, storage=storage(args.storage))
    states = collections.Counter(t.state.name for t in study.trials)
    per_worker = collections.Counter(t.user_attrs.get("worker") for t in study.trials)
    print(
        f"{len(study.trials)} trials: "
        + ", ".join(f"{n} {s.lower()}" for s, n in states.items())
        + "; by worker: "
        + ", ".join(f"{w}: {n}" for w, n in per_worker.items())
    )
    best = study.best_trial
    print(
        f"best validation accuracy {best.value:.4f} (trial {best.number}, epoch "
        f"{best.user_attrs.get('best_epoch')}): {best.params}"
    )
    for path in plot_study(study, args.out):
        print("wrote", path)


def _passed_on(argv):
    """The coordinator's own arguments, for its workers (minus --workers)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--workers" in argv:
        i = argv.index("--workers")
        del argv[i : i + 2]
    return argv


if __name__ == "__main__":
    main()
