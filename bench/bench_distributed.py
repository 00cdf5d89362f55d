"""Data-parallel training throughput over MPI: 1 vs 2 ranks, and how much of the gradient
all-reduce is hidden behind backward.

Usage:  .venv/bin/python bench/bench_distributed.py [--steps 10] [--ranks 1,2] [--batch 128]

Starts itself under mpirun (bash scripts/mpirun.sh's command line: one BLAS thread per rank)
once per rank count. The model is compute-bound on purpose: an MLP 784-2048-2048-10 (5.8M
float32 parameters, 23 MB of gradients in 2 buckets of torch's default sizes) at a fixed
batch per rank (weak scaling: 2 ranks process twice the samples per step). Per rank count:

- samples/s of full DDP training steps (forward, backward with the all-reduce, Adam step),
  median step time; torch's DDP (gloo backend, 1 thread per rank) in the same job when torch
  is installed, steps interleaved with ours;
- backward alone: inside ``no_sync()`` (no communication), synced (all-reduce started from
  the gradient hooks), and the all-reduce of the same buckets run alone after backward;
- the time the end of the synced backward waits for the all-reduces still in flight.
  Overlap = 1 - wait / all-reduce alone: 1.0 means the communication was completely hidden
  behind backward, 0 that it all came after. (The wait also contains any time spent waiting
  for a slower rank, so a busy machine understates the overlap.)

On a 2-core machine 2 ranks use both cores, so anything else running skews the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import types

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)


def _model(lib):
    m = lib.nn
    return m.Sequential(
        m.Linear(784, 2048), m.ReLU(), m.Linear(2048, 2048), m.ReLU(), m.Linear(2048, 10)
    )


def worker(args):
    import autograd
    import autograd.distributed as dist
    import nn
    import nn.functional as F
    import optim

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    rng = np.random.default_rng(rank)
    x_np = rng.standard_normal((args.batch, 784)).astype(np.float32)
    y_np = rng.integers(0, 10, args.batch)
    x, y = autograd.tensor(x_np), autograd.tensor(y_np)
    autograd.manual_seed(0)
    ddp = nn.parallel.DistributedDataParallel(_model(types.SimpleNamespace(nn=nn)))
    opt = optim.Adam(ddp.parameters(), lr=1e-4)

    def step():
        opt.zero_grad()
        F.cross_entropy(ddp(x), y).backward()
        opt.step()

    def backward(sync):
        opt.zero_grad()
        if sync:
            loss = F.cross_entropy(ddp(x), y)
            dist.barrier()
            t = time.perf_counter()
            loss.backward()
            waits.append(ddp._last_wait_seconds)
        else:
            with ddp.no_sync():
                loss = F.cross_entropy(ddp(x), y)
                dist.barrier()
                t = time.perf_counter()
                loss.backward()
        return time.perf_counter() - t

    def all_reduce_alone():
        dist.barrier()
        t = time.perf_counter()
        works = [
            dist.all_reduce(autograd.Tensor._make(b.buffer), async_op=True) for b in ddp._buckets
        ]
        for w in works:
            w.wait()
        return time.perf_counter() - t

    torch_step = _torch_ddp(args, rank, world, x_np, y_np) if args.torch else None
    for _ in range(2):  # warm-up (JIT compilation, first-touch of buffers)
        step()
        if torch_step:
            torch_step()
    t_ours, t_torch = [], []
    for _ in range(args.steps):
        dist.barrier()
        t = time.perf_counter()
        step()
        t_ours.append(time.perf_counter() - t)
        if torch_step:
            dist.barrier()
            t = time.perf_counter()
            torch_step()
            t_torch.append(time.perf_counter() - t)
    local, synced, alone, waits = [], [], [], []
    for _ in range(args.steps):
        local.append(backward(False))
        synced.append(backward(True))
        alone.append(all_reduce_alone())
    med = statistics.median
    result = {
        "ranks": world,
        "step": med(t_ours),
        "torch_step": med(t_torch) if t_torch else None,
        "backward_local": med(local),
        "backward_synced": med(synced),
        "all_reduce": med(alone),
        "wait": med(waits),
        "buckets": len(ddp._buckets),
        "grad_mb": sum(b.buffer.nbytes for b in ddp._buckets) / 2**20,
    }
    if rank == 0:
        print("RESULT " + json.dumps(result), flush=True)
    dist.destroy_process_group()


def _torch_ddp(args, rank, world, x_np, y_np):
    """torch's DDP over gloo in the same job (rendezvous on the loopback interface)."""
    import torch
    import torch.distributed as tdist

    torch.set_num_threads(1)
    tdist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{args.port}", rank=rank, world_size=world
    )
    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(_model(torch))
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128, help="samples per rank and step")
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--no-torch", dest="torch", action="store_false")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    if args.torch:
        try:
            import torch  # noqa: F401
        except ImportError:
            args.torch = False
    from autograd.distributed.run import mpirun_command

    rows = []
    for n in [int(r) for r in args.ranks.split(",")]:
        cmd = mpirun_command(
            [
                "-n",
                str(n),
                os.path.abspath(__file__),
                "--worker",
                "--steps",
                str(args.steps),
                "--batch",
                str(args.batch),
                "--port",
                str(_free_port()),
            ]
            + ([] if args.torch else ["--no-torch"])
        )
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if proc.returncode != 0 or line is None:
            sys.exit(f"{n} ranks failed:\n{proc.stdout}\n{proc.stderr}")
        rows.append(json.loads(line[len("RESULT ") :]))
    r0 = rows[0]
    print(
        f"MLP 784-2048-2048-10 ({r0['grad_mb']:.0f} MB of float32 gradients, {r0['buckets']} "
        f"buckets), Adam, batch {args.batch} per rank, median of {args.steps} steps\n"
    )
    print(
        "| ranks | samples/s | scaling | torch DDP (gloo) samples/s | ours / torch time | "
        "backward local | backward synced | all-reduce alone | wait at the end | overlap |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    base = args.batch / r0["step"]
    for r in rows:
        sps = r["ranks"] * args.batch / r["step"]
        tsps = r["ranks"] * args.batch / r["torch_step"] if r["torch_step"] else None
        overlap = f"{1 - r['wait'] / r['all_reduce']:.2f}" if r["ranks"] > 1 else "-"
        torch_sps = f"{tsps:.0f}" if tsps else "-"
        ratio = f"{r['step'] / r['torch_step']:.2f}" if tsps else "-"
        print(
            f"| {r['ranks']} | {sps:.0f} | {sps / (base * r['ranks']):.2f} | {torch_sps} | {ratio} | "
            f"{1e3 * r['backward_local']:.1f} ms | {1e3 * r['backward_synced']:.1f} ms | "
            f"{1e3 * r['all_reduce']:.1f} ms | {1e3 * r['wait']:.1f} ms | {overlap} |"
        )


if __name__ == "__main__":
    main()
