"""Communication between processes over MPI, with ``torch.distributed``'s names.

Start one process per rank with an MPI launcher; each process calls
``init_process_group("mpi")`` and learns its rank and the world size from MPI::

    mpirun -n 2 python train.py              # or: bash scripts/mpirun.sh -n 2 train.py

    import autograd, autograd.distributed as dist
    dist.init_process_group("mpi")
    t = autograd.tensor([float(dist.get_rank())])
    dist.all_reduce(t)                      # every rank now holds 0 + 1 = 1
    work = dist.all_reduce(t, async_op=True)  # returns at once ...
    work.wait()                             # ... and this waits for the result

Collectives write into the tensors they are given (like torch) and use the tensor's
memory directly as the MPI buffer when it is contiguous and writeable (no copy); other
tensors go through a contiguous copy. Every collective is a non-blocking MPI operation
(``MPI_Iallreduce`` ...) waited for with a timeout (``init_process_group(timeout=...)``,
30 minutes by default as in torch), so a rank that never joins a collective ends in an
error instead of a hang. An uncaught exception on any rank aborts the whole MPI job
(``MPI_Abort``), so the other ranks do not wait for it.

Needs the optional extra ``pip install -e ".[distributed]"`` (mpi4py and Open MPI).
Only the ``"mpi"`` backend exists; ``is_available()`` says whether mpi4py can be imported.
``import autograd.distributed`` itself never starts MPI: ``init_process_group`` does.

Files: process_group.py (groups, ranks, errors), work.py (waiting, async handles),
collectives.py (the collectives, point to point, objects).
"""

from .collectives import (
    all_gather,
    all_gather_into_tensor,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    gather,
    irecv,
    isend,
    recv,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
    send,
)
from .process_group import (
    Backend,
    DistBackendError,
    DistError,
    GroupMember,
    ProcessGroup,
    ReduceOp,
    default_pg_timeout,
    destroy_process_group,
    get_backend,
    get_global_rank,
    get_group_rank,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    new_group,
)
from .work import Work

__all__ = [
    "Backend",
    "ReduceOp",
    "ProcessGroup",
    "GroupMember",
    "group",
    "Work",
    "DistError",
    "DistBackendError",
    "is_available",
    "is_mpi_available",
    "is_initialized",
    "init_process_group",
    "destroy_process_group",
    "get_rank",
    "get_world_size",
    "get_backend",
    "new_group",
    "get_global_rank",
    "get_group_rank",
    "barrier",
    "broadcast",
    "all_reduce",
    "reduce",
    "all_gather",
    "all_gather_into_tensor",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "gather",
    "scatter",
    "send",
    "recv",
    "isend",
    "irecv",
    "all_gather_object",
    "broadcast_object_list",
]
