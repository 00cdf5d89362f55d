"""Rank 1 fails in the third training step (``raise`` or ``exit``) while rank 0 goes on into
the gradient all-reduce; or (``leave``) rank 1 exits after a step both took, and rank 0 ends
normally with destroy_process_group. Run by tests/test_distributed.py under mpirun, 2 ranks."""

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
if sys.argv[1] == "leave":
    model(autograd.randn(8, 4)).pow(2).mean().backward()
    if rank == 1:
        sys.exit(3)  # without destroy_process_group
    dist.destroy_process_group()
    print("rank 0 finished")
    sys.exit(0)
for step in range(5):
    if rank == 1 and step == 2:
        if sys.argv[1] == "raise":
            raise ValueError("rank 1 fails on purpose")
        sys.exit(3)
    model(autograd.randn(8, 4)).pow(2).mean().backward()
print(f"rank {rank} finished")
