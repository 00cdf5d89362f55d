"""Process groups: starting and leaving MPI (``init_process_group``, ``destroy_process_group``),
ranks and sizes, ``new_group``; the errors, ``Backend`` and ``ReduceOp``."""

from __future__ import annotations

import atexit
import enum
import importlib.util
import os
import sys
import time
from datetime import timedelta


default_pg_timeout = timedelta(minutes=30)  # torch's default for the CPU backends

_INSTALL_HINT = (
    "autograd.distributed needs mpi4py and an MPI library: pip install -e "
    '".[distributed]" (installs mpi4py and Open MPI\'s mpirun)'
)


class DistError(RuntimeError):
    """Errors of the distributed package (``torch.distributed.DistError``)."""


class DistBackendError(DistError):
    """The communication backend failed, e.g. a collective timed out."""


class Backend(str):
    """Backend names (``torch.distributed.Backend``); only ``"mpi"`` exists here."""

    MPI = "mpi"


class ReduceOp(enum.IntEnum):
    """How ``all_reduce``/``reduce``/``reduce_scatter`` combine the ranks' values."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7


def is_available() -> bool:
    """True if mpi4py can be imported (the ``[distributed]`` extra is installed)."""
    return importlib.util.find_spec("mpi4py") is not None


is_mpi_available = is_available


# ---- process groups ---------------------------------------------------------------------
class ProcessGroup:
    """A set of ranks that run collectives together: an MPI communicator of its own, so
    collectives on different groups never get mixed up."""

    def __init__(self, comm, global_ranks, timeout: timedelta):
        self._comm = comm
        self._global_ranks = tuple(global_ranks)
        self._timeout = timeout

    def rank(self) -> int:
        return self._comm.Get_rank()

    def size(self) -> int:
        return self._comm.Get_size()

    def name(self) -> str:
        return Backend.MPI

    def __repr__(self):
        return f"ProcessGroup(backend='mpi', rank={self.rank()}, size={self.size()})"


class GroupMember:
    """``group.WORLD`` is the default group once ``init_process_group`` has run;
    ``new_group`` returns ``NON_GROUP_MEMBER`` to ranks outside the new group."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = object()


group = GroupMember  # torch.distributed.group.WORLD

_MPI = None  # the mpi4py.MPI module once init_process_group has run
_previous_excepthook = None
_exit_comm = None  # COMM_WORLD's duplicate for the meeting at exit (from the first init on)


def _mpi():
    global _MPI
    if _MPI is None:
        if not is_available():
            raise RuntimeError(_INSTALL_HINT)
        # Non-blocking all-reduce of large buffers: Open MPI's default choice for 2 ranks
        # measured several times slower than its blocking MPI_Allreduce here, the ring
        # algorithm as fast (and it is the bandwidth-optimal algorithm of docs/distributed.md).
        # Must be set before MPI starts; an explicit user setting wins.
        os.environ.setdefault("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "ring")
        from mpi4py import MPI

        _MPI = MPI
    return _MPI


def is_initialized() -> bool:
    """True between ``init_process_group`` and ``destroy_process_group``."""
    return GroupMember.WORLD is not None


def _default_group() -> ProcessGroup:
    if GroupMember.WORLD is None:
        raise ValueError(
            "Default process group has not been initialized, please make sure to "
            "call init_process_group."
        )
    return GroupMember.WORLD


def _resolve(group) -> ProcessGroup | None:
    """The group to run on, or None if this rank is not a member (torch then does nothing)."""
    g = _default_group() if group is None else group
    if g is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(g, ProcessGroup):
        raise TypeError(
            f"group must be a ProcessGroup from new_group() or None, got {type(g).__name__}"
        )
    return g


def init_process_group(
    backend=None,
    init_method=None,
    timeout=None,
    world_size=-1,
    rank=-1,
    store=None,
    group_name="",
    pg_options=None,
    device_id=None,
) -> None:
    """Join the job started by the MPI launcher (``torch.distributed.init_process_group``).

    Rank and world size come from MPI, so ``world_size``/``rank`` may be left out; when
    given they must agree with the launcher. ``timeout`` (a ``timedelta``) bounds how long
    any collective waits for the other ranks.

    Example (in a script started with ``mpirun -n 2``):
        >>> dist.init_process_group("mpi")  # doctest: +SKIP
        >>> dist.get_rank(), dist.get_world_size()  # doctest: +SKIP
        (0, 2)
    """
    global _previous_excepthook, _exit_comm
    if backend is not None and str(backend).lower() != Backend.MPI:
        raise ValueError(
            f"init_process_group: backend {backend!r} is not available in jitgrad; "
            "use backend='mpi' and start the processes with mpirun "
            "(e.g. bash scripts/mpirun.sh -n 2 train.py)"
        )
    if init_method not in (None, "env://") or store is not None:
        raise ValueError(
            "init_process_group: with the 'mpi' backend the MPI launcher connects "
            "the processes; init_method and store are not used (leave them out)"
        )
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    if timeout is None:
        timeout = default_pg_timeout
    if not isinstance(timeout, timedelta):
        raise TypeError(
            f"Expected timeout argument to be of type datetime.timedelta, got "
            f"{type(timeout).__name__}"
        )
    MPI = _mpi()
    world = MPI.COMM_WORLD
    for what, given, actual in (
        ("world_size", world_size, world.Get_size()),
        ("rank", rank, world.Get_rank()),
    ):
        if given not in (-1, None) and given != actual:
            raise ValueError(
                f"init_process_group: {what}={given} was given but the MPI launcher "
                f"started this process with {what} {actual}"
            )
    # A duplicate of COMM_WORLD: our collectives never match messages of user code that
    # talks to COMM_WORLD through mpi4py directly.
    GroupMember.WORLD = ProcessGroup(world.Dup(), range(world.Get_size()), timeout)
    if _exit_comm is None:  # kept through destroy_process_group: every rank meets at exit
        _exit_comm = world.Dup()
        atexit.register(_meet_the_other_ranks_at_exit)
    _previous_excepthook = sys.excepthook
    sys.excepthook = _abort_on_uncaught_exception
    _warn_if_threads_oversubscribe(world)


def _warn_if_threads_oversubscribe(world):
    """Several ranks on one machine, each with a BLAS pool of one thread per core, slow each
    other down many times over; the launcher script sets the thread count, a bare mpirun not."""
    if any(v in os.environ for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")):
        return
    local = world.Split_type(_MPI.COMM_TYPE_SHARED)
    here, local_rank = local.Get_size(), local.Get_rank()
    local.Free()
    if here > 1 and local_rank == 0:
        import warnings

        warnings.warn(
            f"{here} ranks run on this machine and OMP_NUM_THREADS is not set, so each "
            f"may start {os.cpu_count()} BLAS threads; set OMP_NUM_THREADS (e.g. mpirun "
            "-x OMP_NUM_THREADS=1 ...; bash scripts/mpirun.sh does it)",
            RuntimeWarning,
            stacklevel=3,
        )


def _abort_on_uncaught_exception(exc_type, exc, tb):
    """An exception that ends one rank would leave the others waiting in a collective for
    it (and MPI_Finalize waits for them): print it, then abort the whole MPI job."""
    (_previous_excepthook or sys.__excepthook__)(exc_type, exc, tb)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed stream must not stop the abort
            pass
    if GroupMember.WORLD is not None and GroupMember.WORLD.size() > 1:
        from .work import _progress

        _progress.stop()  # MPI_Abort must not run beside another thread's MPI call
        time.sleep(0.5)  # lets the launcher forward the traceback before it kills the job
        _MPI.COMM_WORLD.Abort(1)


def _meet_the_other_ranks_at_exit():
    """At interpreter exit, wait here, polling, until every rank has arrived, before mpi4py's
    MPI_Finalize runs (every rank that called init_process_group, destroyed it or not).

    MPI_Finalize also waits for every rank, but inside the launcher's runtime (a PMIx fence).
    A rank that leaves early (``sys.exit`` in the middle of training) is then still waiting
    when the others reach their collective timeout and abort the job, and Open MPI 5's
    launcher now and then deadlocked tearing down a job that one rank aborted while another
    sat in that fence (tests/test_distributed.py, the failing-rank test). Waiting here
    instead, the abort finds this rank in plain Python, which the launcher ends like any
    other process. No timeout, as in MPI_Finalize: a rank that is still computing may
    arrive much later."""
    global _exit_comm
    comm = _exit_comm
    if comm is None or _MPI.Is_finalized():  # (the user may have finalized MPI already)
        return
    from .work import _progress

    _progress.stop()
    if comm.Get_size() > 1:
        request = comm.Ibarrier()
        nap = 1e-5
        while not request.Test():
            time.sleep(nap)
            nap = min(nap * 2, 0.01)  # a waiting rank must not take a core from the others
    comm.Free()
    _exit_comm = None


def destroy_process_group(group=None) -> None:
    """Leave the default group (or free ``group``); ``init_process_group`` may run again."""
    global _previous_excepthook
    if group is not None and group is not GroupMember.WORLD:
        g = _resolve(group)
        if g is not None:
            g._comm.Free()
        return
    world = _default_group()
    from .work import _progress  # (work.py builds on this module)

    _progress.stop()
    GroupMember.WORLD = None
    world._comm.Free()
    if sys.excepthook is _abort_on_uncaught_exception:
        sys.excepthook = _previous_excepthook or sys.__excepthook__
    _previous_excepthook = None


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (the default group if None); -1 if not a member."""
    g = _resolve(group)
    return -1 if g is None else g.rank()


def get_world_size(group=None) -> int:
    """The number of ranks in ``group``; -1 if this rank is not a member."""
    g = _resolve(group)
    return -1 if g is None else g.size()


def get_backend(group=None) -> str:
    _resolve(group)
    return Backend.MPI


def new_group(
    ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False
):
    """A group of the given global ranks. Like torch, every rank of the default group must
    call it (with the same ``ranks``); ranks outside get ``GroupMember.NON_GROUP_MEMBER``."""
    world = _default_group()
    ranks = sorted(range(world.size()) if ranks is None else {int(r) for r in ranks})
    for r in ranks:
        if not 0 <= r < world.size():
            raise ValueError(
                f"new_group: rank {r} is not in the default group (world size {world.size()})"
            )
    member = world.rank() in ranks
    MPI = _mpi()
    comm = world._comm.Split(0 if member else MPI.UNDEFINED, world.rank())
    if not member:
        return GroupMember.NON_GROUP_MEMBER
    return ProcessGroup(comm, ranks, timeout or world._timeout)


def get_global_rank(group, group_rank: int) -> int:
    g = _resolve(group)
    return g._global_ranks[group_rank]


def get_group_rank(group, global_rank: int) -> int:
    g = _resolve(group)
    try:
        return g._global_ranks.index(global_rank)
    except ValueError:
        raise ValueError(f"Global rank {global_rank} is not part of group {g}") from None
