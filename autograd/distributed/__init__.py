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
"""

from __future__ import annotations

import atexit
import enum
import importlib.util
import os
import pickle
import sys
import threading
import time
from datetime import timedelta

import numpy as np

from ..tensor import Tensor

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
    global _previous_excepthook
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
        time.sleep(0.5)  # lets the launcher forward the traceback before it kills the job
        _MPI.COMM_WORLD.Abort(1)


def destroy_process_group(group=None) -> None:
    """Leave the default group (or free ``group``); ``init_process_group`` may run again."""
    global _previous_excepthook
    if group is not None and group is not GroupMember.WORLD:
        g = _resolve(group)
        if g is not None:
            g._comm.Free()
        return
    world = _default_group()
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


# ---- waiting with a timeout -------------------------------------------------------------
# A collective finishes only after every rank has started it, possibly much later (it may
# still be computing). Test() is cheap and also lets MPI move a non-blocking collective
# along, so we poll: spinning first (fast collectives finish within microseconds), then
# sleeping in growing naps, so a waiting rank does not take a core from the ranks it waits for.
_SPIN_SECONDS = 2e-4
_MAX_NAP = 5e-4


def _wait_requests(requests, timeout: timedelta, what: str, g: ProcessGroup, statuses=None) -> None:
    MPI = _MPI
    if MPI.Request.Testall(requests, statuses):
        return
    start = time.monotonic()
    deadline = start + timeout.total_seconds()
    nap = 1e-5
    while not MPI.Request.Testall(requests, statuses):
        now = time.monotonic()
        if now > deadline:
            raise DistBackendError(
                f"{what} timed out after {timeout.total_seconds():g} s on rank "
                f"{_default_group().rank()} (group of {g.size()} ranks): another rank did not "
                "join it. Did a rank fail, skip this call, or call collectives in a different "
                "order? (the timeout is init_process_group's timeout=)"
            )
        if now - start > _SPIN_SECONDS:
            time.sleep(nap)
            nap = min(nap * 2, _MAX_NAP)


class Work:
    """A collective in flight (``async_op=True``): ``wait()`` returns once its result is in
    the tensors. ``is_completed()`` checks without blocking."""

    def __init__(self, requests, what, g, finish=None):
        self._requests = list(requests)
        self._statuses = [_MPI.Status() for _ in self._requests] if self._requests else None
        self._what = what
        self._group = g
        self._finish = finish
        self._arrived = not self._requests  # MPI is done with the buffers
        self._lock = threading.Lock()  # one thread at a time touches the MPI requests
        self._done = False  # ... and the result is in the tensors
        self._result = None

    def _test(self) -> bool:
        """Let MPI progress; True once the transfer is complete (caller holds the lock)."""
        if not self._arrived and _MPI.Request.Testall(self._requests, self._statuses):
            self._arrived = True
        return self._arrived

    def _complete(self):
        if not self._done:
            self._done = True
            if self._finish is not None:
                self._result = self._finish()

    def is_completed(self) -> bool:
        with self._lock:
            if self._test():
                self._complete()
        return self._done

    def is_success(self) -> bool:
        return self.is_completed()

    def wait(self, timeout: timedelta | None = None) -> bool:
        with self._lock:
            if not self._arrived:
                _wait_requests(
                    self._requests,
                    timeout or self._group._timeout,
                    self._what,
                    self._group,
                    self._statuses,
                )
                self._arrived = True
            self._complete()
        return True

    def result(self):
        self.wait()
        return self._result


class _Done(Work):
    """The handle of a call that had nothing to do (a rank outside the group)."""

    def __init__(self):
        super().__init__([], "nothing", None)
        self._done = True


class _Progress:
    """Keeps non-blocking collectives moving while the main thread computes.

    Open MPI advances a non-blocking collective only inside MPI calls made by the program
    (it has no progress thread of its own). An all-reduce started during backward would
    otherwise sit still until ``wait()``, and nothing would overlap. This daemon thread
    calls ``MPI_Testall`` on the in-flight ``Work``s every ~0.1 ms; it holds the GIL only for
    those calls, and NumPy releases the GIL inside its big kernels (matmul), so the polls
    land while backward computes. A ``Work`` being waited for is skipped (its lock is taken):
    the waiting thread polls it itself. MPI runs with MPI_THREAD_MULTIPLE (mpi4py's default).
    """

    _POLL_SECONDS = 1e-4

    def __init__(self):
        self._cv = threading.Condition()
        self._works = []
        self._thread = None

    def add(self, work: Work) -> None:
        with self._cv:
            self._works.append(work)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="autograd.distributed progress", daemon=True
                )
                self._thread.start()
            self._cv.notify()

    def stop(self) -> None:
        """Forget the in-flight work (before MPI shuts down, which must not see our polls)."""
        with self._cv:
            self._works = []

    def _run(self):
        while True:
            with self._cv:
                while not self._works:
                    self._cv.wait()
                works = list(self._works)
            finished = []
            for w in works:
                if w._lock.acquire(blocking=False):
                    try:
                        if w._test():
                            finished.append(w)
                    finally:
                        w._lock.release()
            with self._cv:
                self._works = [w for w in self._works if w not in finished]
            time.sleep(self._POLL_SECONDS)


_progress = _Progress()
atexit.register(_progress.stop)


def _run(requests, what, g, async_op, finish=None):
    work = Work(requests, what, g, finish)
    if async_op:
        _progress.add(work)
        return work
    work.wait()
    return None


# ---- buffers: the tensor's own memory when MPI can use it ---------------------------------
def _check_tensor(t, what, arg="tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(f"{what}: {arg} must be an autograd Tensor, got {type(t).__name__}")


def _buffer(t: Tensor, what: str):
    """(array MPI reads/writes, function to call once the result is in it)."""
    _check_tensor(t, what)
    arr = t._data
    if arr.flags.c_contiguous and arr.flags.writeable:
        return arr, t._bump_version
    if not arr.flags.writeable:
        raise RuntimeError(
            f"{what}: the tensor's memory is read-only (an expanded view or a "
            "read-only NumPy array); pass .clone() or .contiguous()"
        )
    tmp = np.ascontiguousarray(arr)

    def write_back():
        np.copyto(arr, tmp)
        t._bump_version()

    return tmp, write_back


def _in_buffer(t: Tensor, what: str, arg="tensor"):
    """A read-only send buffer: the tensor's memory if contiguous, else a copy."""
    _check_tensor(t, what, arg)
    return np.ascontiguousarray(t._data)


def _mpi_op(op, dtype, what):
    MPI = _MPI
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{what}: op must be a ReduceOp (e.g. ReduceOp.SUM), got {op!r}")
    if op is ReduceOp.AVG and dtype.kind not in "fc":
        raise ValueError(f"{what}: ReduceOp.AVG needs a floating-point tensor, got {dtype}")
    if dtype == np.bool_:  # MPI's SUM/MAX/... are undefined for booleans: use the logical ops
        return {
            ReduceOp.SUM: MPI.LOR,
            ReduceOp.MAX: MPI.LOR,
            ReduceOp.BOR: MPI.LOR,
            ReduceOp.PRODUCT: MPI.LAND,
            ReduceOp.MIN: MPI.LAND,
            ReduceOp.BAND: MPI.LAND,
            ReduceOp.BXOR: MPI.LXOR,
        }[op]
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and dtype.kind not in "iu":
        raise ValueError(f"{what}: {op.name} needs an integer or bool tensor, got {dtype}")
    return {
        ReduceOp.SUM: MPI.SUM,
        ReduceOp.AVG: MPI.SUM,
        ReduceOp.PRODUCT: MPI.PROD,
        ReduceOp.MIN: MPI.MIN,
        ReduceOp.MAX: MPI.MAX,
        ReduceOp.BAND: MPI.BAND,
        ReduceOp.BOR: MPI.BOR,
        ReduceOp.BXOR: MPI.BXOR,
    }[op]


def _averaging(op, buf, g, done):
    """For ReduceOp.AVG: MPI has no average, so the ranks sum and each divides the result."""
    if op is not ReduceOp.AVG:
        return done

    def divide_then_done():
        np.divide(buf, g.size(), out=buf)
        done()

    return divide_then_done


def _copier(gathered, tensors):
    """Once ``gathered`` (one row per rank) has arrived: copy row i into ``tensors[i]``."""

    def copy_into_list():
        for t, part in zip(tensors, gathered):
            np.copyto(t._data, part)
            t._bump_version()

    return copy_into_list


def _src_rank(g, rank, what, arg):
    """A global rank (torch's convention for src/dst) -> its rank within ``g``."""
    if not isinstance(rank, (int, np.integer)) or not 0 <= rank < _default_group().size():
        raise ValueError(
            f"{what}: {arg}={rank!r} is not a rank of the default group "
            f"(world size {_default_group().size()})"
        )
    return get_group_rank(g, int(rank))


def _same_shapes(ts, ref, what, arg):
    for i, t in enumerate(ts):
        _check_tensor(t, what, f"{arg}[{i}]")
        if t.shape != ref.shape or t.dtype != ref.dtype:
            raise ValueError(
                f"{what}: {arg}[{i}] has shape {list(t.shape)} and dtype {t.dtype}; "
                f"every tensor must match {list(ref.shape)} and {ref.dtype}"
            )


def _list_len(ts, n, what, arg):
    if len(ts) != n:
        raise ValueError(
            f"{what}: {arg} must hold one tensor per rank of the group ({n}), got {len(ts)}"
        )


# ---- collectives --------------------------------------------------------------------------
def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of the group has reached this call."""
    g = _resolve(group)
    if g is None:
        return _Done() if async_op else None
    return _run([g._comm.Ibarrier()], "barrier", g, async_op)


def broadcast(tensor, src, group=None, async_op=False):
    """Copy ``tensor`` from rank ``src`` into ``tensor`` on every rank of the group.

    Example:
        >>> t = autograd.arange(3.0) if dist.get_rank() == 0 else autograd.zeros(3)  # doctest: +SKIP
        >>> dist.broadcast(t, src=0)  # doctest: +SKIP
    """
    g = _resolve(group)
    if g is None:
        return _Done() if async_op else None
    root = _src_rank(g, src, "broadcast", "src")
    buf, done = _buffer(tensor, "broadcast")
    return _run([g._comm.Ibcast(buf, root=root)], "broadcast", g, async_op, done)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` over all ranks (``op``: SUM, AVG, PRODUCT, MIN, MAX, BAND, BOR,
    BXOR); every rank gets the result in ``tensor``.

    Example:
        >>> t = autograd.tensor([1.0 + dist.get_rank()])  # doctest: +SKIP
        >>> dist.all_reduce(t, op=dist.ReduceOp.AVG); t  # 2 ranks: (1 + 2) / 2  # doctest: +SKIP
        tensor([1.5000])
    """
    g = _resolve(group)
    if g is None:
        return _Done() if async_op else None
    buf, done = _buffer(tensor, "all_reduce")
    mpi_op = _mpi_op(op, buf.dtype, "all_reduce")
    done = _averaging(op, buf, g, done)
    return _run(
        [g._comm.Iallreduce(_MPI.IN_PLACE, buf, op=mpi_op)], "all_reduce", g, async_op, done
    )


def reduce(tensor, dst, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` over all ranks into ``tensor`` on rank ``dst`` only."""
    g = _resolve(group)
    if g is None:
        return _Done() if async_op else None
    root = _src_rank(g, dst, "reduce", "dst")
    if g.rank() == root:
        buf, done = _buffer(tensor, "reduce")
        mpi_op = _mpi_op(op, buf.dtype, "reduce")
        req = g._comm.Ireduce(_MPI.IN_PLACE, buf, op=mpi_op, root=root)
        done = _averaging(op, buf, g, done)
    else:
        buf = _in_buffer(tensor, "reduce")
        req = g._comm.Ireduce(buf, None, op=_mpi_op(op, buf.dtype, "reduce"), root=root)
        done = None
    return _run([req], "reduce", g, async_op, done)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Concatenate every rank's ``input_tensor`` along dim 0 into ``output_tensor``
    (shape ``(world_size * n, ...)``), written in place without an intermediate copy."""
    g = _resolve(group)
    if g is None:
        return _Done() if async_op else None
    what = "all_gather_into_tensor"
    src = _in_buffer(input_tensor, what, "input_tensor")
    if output_tensor.numel() != src.size * g.size() or output_tensor.dtype != input_tensor.dtype:
        raise ValueError(
            f"{what}: output_tensor must have world_size ({g.size()}) times the "
            f"elements of input_tensor ({src.size}) and its dtype; got shape "
            f"{list(output_tensor.shape)} and {output_tensor.dtype}"
        )
    buf, done = _buffer(output_tensor, what)
    return _run([g._comm.Iallgather(src, buf)], what, g, async_op, done)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[i]`` with rank i's ``tensor`` on every rank.

    Example:
        >>> out = [autograd.zeros(2) for _ in range(dist.get_world_size())]  # doctest: +SKIP
        >>> dist.all_gather(out, autograd.full((2,), float(dist.get_rank())))  # doctest: +SKIP
    """
    g = _resolve(group)
    if g is None:
        return _Done() if async_op else None
    what = "all_gather"
    src = _in_buffer(tensor, what)
    _list_len(tensor_list, g.size(), what, "tensor_list")
    _same_shapes(tensor_list, tensor, what, "tensor_list")
    gathered = np.empty((g.size(),) + src.shape, src.dtype)
    return _run(
        [g._comm.Iallgather(src, gathered)], what, g, async_op, _copier(gathered, tensor_list)
    )


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``input`` (shape ``(world_size * n, ...)``) over the ranks and give rank i
    the i-th block of ``n`` rows, in ``output``: no intermediate copy."""
    g = _resolve(group)
    if g is None:
        return _Done() if async_op else None
    what = "reduce_scatter_tensor"
    src = _in_buffer(input, what, "input")
    if src.size != output.numel() * g.size() or output.dtype != input.dtype:
        raise ValueError(
            f"{what}: input must have world_size ({g.size()}) times the elements of "
            f"output ({output.numel()}) and its dtype; got shape {list(input.shape)} "
            f"and {input.dtype}"
        )
    buf, done = _buffer(output, what)
    return _reduce_scatter(g, src, buf, op, done, what, async_op)


def _reduce_scatter(g, src, buf, op, done, what, async_op):
    mpi_op = _mpi_op(op, buf.dtype, what)
    done = _averaging(op, buf, g, done)
    return _run([g._comm.Ireduce_scatter_block(src, buf, op=mpi_op)], what, g, async_op, done)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Rank i gets the combination over all ranks of their ``input_list[i]``, in ``output``."""
    g = _resolve(group)
    if g is None:
        return _Done() if async_op else None
    what = "reduce_scatter"
    _check_tensor(output, what, "output")
    _list_len(input_list, g.size(), what, "input_list")
    _same_shapes(input_list, output, what, "input_list")
    src = np.stack([t._data for t in input_list]) if input_list else None
    buf, done = _buffer(output, what)
    return _reduce_scatter(g, src, buf, op, done, what, async_op)


def gather(tensor, gather_list=None, dst=0, group=None, async_op=False):
    """Collect every rank's ``tensor`` into ``gather_list`` on rank ``dst``."""
    g = _resolve(group)
    if g is None:
        return _Done() if async_op else None
    what = "gather"
    root = _src_rank(g, dst, what, "dst")
    src = _in_buffer(tensor, what)
    if g.rank() != root:
        if gather_list:
            raise ValueError(
                "Argument ``gather_list`` must NOT be specified on non-destination ranks."
            )
        return _run([g._comm.Igather(src, None, root=root)], what, g, async_op)
    if gather_list is None:
        raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
    _list_len(gather_list, g.size(), what, "gather_list")
    _same_shapes(gather_list, tensor, what, "gather_list")
    gathered = np.empty((g.size(),) + src.shape, src.dtype)
    return _run(
        [g._comm.Igather(src, gathered, root=root)],
        what,
        g,
        async_op,
        _copier(gathered, gather_list),
    )


def scatter(tensor, scatter_list=None, src=0, group=None, async_op=False):
    """Rank i receives ``scatter_list[i]`` of rank ``src`` into ``tensor``."""
    g = _resolve(group)
    if g is None:
        return _Done() if async_op else None
    what = "scatter"
    root = _src_rank(g, src, what, "src")
    buf, done = _buffer(tensor, what)
    if g.rank() != root:
        if scatter_list:
            raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
        return _run([g._comm.Iscatter(None, buf, root=root)], what, g, async_op, done)
    if scatter_list is None:
        raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
    _list_len(scatter_list, g.size(), what, "scatter_list")
    _same_shapes(scatter_list, tensor, what, "scatter_list")
    parts = np.stack([t._data for t in scatter_list])
    return _run([g._comm.Iscatter(parts, buf, root=root)], what, g, async_op, done)


# ---- point to point -----------------------------------------------------------------------
def isend(tensor, dst, group=None, tag=0) -> Work:
    """Start sending ``tensor`` to rank ``dst``; returns a ``Work`` to ``wait()`` on."""
    g = _resolve(group)
    if g is None:
        return _Done()
    to = _src_rank(g, dst, "isend", "dst")
    work = Work([g._comm.Isend(_in_buffer(tensor, "isend"), dest=to, tag=tag)], "isend", g)
    _progress.add(work)
    return work


def irecv(tensor, src=None, group=None, tag=0) -> Work:
    """Start receiving into ``tensor`` from rank ``src`` (any rank if None); the ``Work``'s
    ``result()`` is the sender's rank."""
    g = _resolve(group)
    if g is None:
        return _Done()
    frm = _MPI.ANY_SOURCE if src is None else _src_rank(g, src, "irecv", "src")
    buf, done = _buffer(tensor, "irecv")
    work = Work([g._comm.Irecv(buf, source=frm, tag=tag)], "irecv", g)

    def finish():
        done()
        return g._global_ranks[work._statuses[0].Get_source()]

    work._finish = finish
    _progress.add(work)
    return work


def send(tensor, dst, group=None, tag=0) -> None:
    """Send ``tensor`` to rank ``dst`` and wait until it has been received."""
    isend(tensor, dst, group, tag).wait()


def recv(tensor, src=None, group=None, tag=0) -> int:
    """Receive into ``tensor``; returns the sender's rank."""
    return irecv(tensor, src, group, tag).result()


# ---- Python objects (pickled between our own ranks, never to a file) ----------------------
def _gather_bytes(g, data: np.ndarray, what: str) -> list:
    sizes = np.empty(g.size(), np.int64)
    _run([g._comm.Iallgather(np.array([data.size], np.int64), sizes)], what, g, False)
    out = np.empty(int(sizes.sum()), np.uint8)
    _run([g._comm.Iallgatherv(data, [out, sizes])], what, g, False)
    ends = np.cumsum(sizes)
    return [out[e - n : e].tobytes() for n, e in zip(sizes, ends)]


def all_gather_object(object_list, obj, group=None) -> None:
    """Fill ``object_list[i]`` with rank i's ``obj`` (any picklable object).

    Example:
        >>> out = [None] * dist.get_world_size()  # doctest: +SKIP
        >>> dist.all_gather_object(out, {"rank": dist.get_rank()})  # doctest: +SKIP
    """
    g = _resolve(group)
    if g is None:
        return
    _list_len(object_list, g.size(), "all_gather_object", "object_list")
    data = np.frombuffer(pickle.dumps(obj), np.uint8)
    object_list[:] = [pickle.loads(b) for b in _gather_bytes(g, data, "all_gather_object")]


def broadcast_object_list(object_list, src=0, group=None) -> None:
    """Replace the entries of ``object_list`` on every rank by those of rank ``src``."""
    g = _resolve(group)
    if g is None:
        return
    root = _src_rank(g, src, "broadcast_object_list", "src")
    what = "broadcast_object_list"
    data = np.frombuffer(pickle.dumps(list(object_list)), np.uint8)
    size = np.array([data.size], np.int64)
    _run([g._comm.Ibcast(size, root=root)], what, g, False)
    buf = data.copy() if g.rank() == root else np.empty(int(size[0]), np.uint8)
    _run([g._comm.Ibcast(buf, root=root)], what, g, False)
    object_list[:] = pickle.loads(buf.tobytes())
