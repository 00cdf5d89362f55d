"""Data-parallel training of a small CNN on Fashion-MNIST, one process per rank (MPI).

    bash scripts/mpirun.sh -n 4 examples/ddp_fashion_mnist.py --epochs 2
    mpirun -n 4 -x OMP_NUM_THREADS=1 python examples/ddp_fashion_mnist.py   # plain mpirun
    bash scripts/mpirun.sh --hostfile hosts -n 8 examples/ddp_fashion_mnist.py   # 2+ machines

Each rank trains on its own quarter of every epoch (``DistributedSampler``) with a copy of
the model wrapped in ``DistributedDataParallel``, which averages the gradients, so the
copies stay identical: the effective batch is ``world_size * --batch-size``. Only rank 0
prints, draws the progress bar and writes the checkpoint (``--out/checkpoint.safetensors``,
after every epoch; ``--resume`` continues from it). Test accuracy is computed by all ranks
on disjoint parts of the test set and summed with ``all_reduce``.

Uses Debian's ``dataset-fashion-mnist`` files when installed, otherwise scikit-learn's digits.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import autograd
import autograd.distributed as dist
import nn
import nn.functional as F
import optim
from autograd.training import progress
from autograd.utils.data import DataLoader, DistributedSampler, Subset
from demo import SmallCNN, load_data  # examples/demo.py


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64, help="per rank")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--train-limit", type=int, default=20000)
    ap.add_argument("--test-limit", type=int, default=None, help="evaluate on fewer images")
    ap.add_argument("--out", default="out/ddp")
    ap.add_argument("--resume", action="store_true", help="continue from --out's checkpoint")
    args = ap.parse_args()

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()

    def log(*msg):  # one voice, not one per rank
        if rank == 0:
            print(*msg, flush=True)

    autograd.manual_seed(0)  # (rank 0's initial weights are broadcast by DDP anyway)
    name, side, train, test = load_data(args.train_limit)
    log(
        f"{world} ranks; dataset {name}: {len(train)} train / {len(test)} test images; "
        f"batch {args.batch_size} per rank = {args.batch_size * world} in all"
    )
    sampler = DistributedSampler(train, shuffle=True, seed=0)
    train_loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler)
    n_test = min(len(test), args.test_limit or len(test))
    my_test = Subset(test, list(range(rank, n_test, world)))  # disjoint, nothing repeated
    test_loader = DataLoader(my_test, batch_size=500)

    model = nn.parallel.DistributedDataParallel(SmallCNN(side))
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    checkpoint = os.path.join(args.out, "checkpoint.safetensors")
    start_epoch = 0
    if args.resume and os.path.exists(checkpoint):
        state = autograd.load(checkpoint)  # every rank reads the same file
        model.module.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch = int(state["epoch"]) + 1
        log(f"resumed from {checkpoint} after epoch {start_epoch}")
    if rank == 0:
        os.makedirs(args.out, exist_ok=True)

    start = time.perf_counter()
    for epoch in range(start_epoch, args.epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        model.train()
        sums = autograd.zeros(2, dtype=autograd.float64)  # loss * n, n
        for x, y in progress(train_loader, desc=f"epoch {epoch + 1}/{args.epochs}"):
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()  # gradients are averaged over the ranks during this call
            optimizer.step()
            sums += autograd.tensor([loss.item() * len(y), len(y)], dtype=autograd.float64)
        dist.all_reduce(sums)
        acc = evaluate(model.module, test_loader)
        log(
            f"epoch {epoch + 1}: train loss {(sums[0] / sums[1]).item():.4f}  "
            f"test accuracy {acc:.4f}  ({time.perf_counter() - start:.1f}s)"
        )
        if rank == 0:  # one writer; the write is atomic, so a crash never leaves half a file
            autograd.save(
                {
                    "model": model.module.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "epoch": epoch,
                },
                checkpoint,
            )
        dist.barrier()  # nobody goes on (or exits) before the checkpoint is complete
    log(f"wrote {checkpoint}")
    dist.destroy_process_group()


def evaluate(model, loader) -> float:
    """Accuracy over the whole test set: each rank counts its part, all_reduce adds them."""
    model.eval()
    counts = autograd.zeros(2, dtype=autograd.int64)  # correct, total
    with autograd.no_grad():
        for x, y in loader:
            counts += autograd.tensor([(model(x).argmax(1) == y).sum().item(), len(y)])
    dist.all_reduce(counts)
    return counts[0].item() / counts[1].item()


if __name__ == "__main__":
    main()
