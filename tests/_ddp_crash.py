"""Rank 1 fails in the third training step (``raise`` or ``exit``) while rank 0 goes on into
the gradient all-reduce; run by tests/test_distributed.py under mpirun with 2 ranks."""

import os
import sys
from datetime import timedelta

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import autograd
import autograd.distributed as dist
import nn

# the timeout is long enough for a loaded machine's first steps, short enough for the test
dist.init_process_group("mpi", timeout=timedelta(seconds=8))
rank = dist.get_rank()
model = nn.parallel.DistributedDataParallel(nn.Linear(4, 1))
for step in range(5):
    if rank == 1 and step == 2:
        if sys.argv[1] == "raise":
            raise ValueError("rank 1 fails on purpose")
        sys.exit(3)
    model(autograd.randn(8, 4)).pow(2).mean().backward()
print(f"rank {rank} finished")
