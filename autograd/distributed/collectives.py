"""The collectives (``all_reduce``, ``broadcast``, ``all_gather`` ... ), point-to-point messages
(``send``/``recv``/``isend``/``irecv``) and the object collectives, on the tensors' own memory
where MPI can use it."""

from __future__ import annotations

import pickle

import numpy as np

from ..tensor import Tensor
from .process_group import ReduceOp, _default_group, _mpi, _resolve, get_group_rank
from .work import Work, _Done, _progress, _run


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
    MPI = _mpi()
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


def _group_and_root(group, rank, what, arg):
    """For a collective with a root (``rank``, a global rank): the group and the root's rank
    in it, or (None, None) on a rank outside the group, where the call does nothing."""
    g = _resolve(group)
    return (None, None) if g is None else (g, _src_rank(g, rank, what, arg))


def _root_list(g, root, ts, tensor, what, arg, role) -> bool:
    """Whether this rank is the ``root`` of gather/scatter (``role``: "destination" or
    "source"), after checking that the list ``ts`` is given exactly there, with one tensor
    of ``tensor``'s shape per rank."""
    if g.rank() != root:
        if ts:
            raise ValueError(f"Argument ``{arg}`` must NOT be specified on non-{role} ranks.")
        return False
    if ts is None:
        raise ValueError(f"Argument ``{arg}`` must be specified on {role} rank.")
    _list_len(ts, g.size(), what, arg)
    _same_shapes(ts, tensor, what, arg)
    return True


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
    g, root = _group_and_root(group, src, "broadcast", "src")
    if g is None:
        return _Done() if async_op else None
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
        [g._comm.Iallreduce(_mpi().IN_PLACE, buf, op=mpi_op)], "all_reduce", g, async_op, done
    )


def reduce(tensor, dst, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` over all ranks into ``tensor`` on rank ``dst`` only."""
    g, root = _group_and_root(group, dst, "reduce", "dst")
    if g is None:
        return _Done() if async_op else None
    if g.rank() == root:
        buf, done = _buffer(tensor, "reduce")
        mpi_op = _mpi_op(op, buf.dtype, "reduce")
        req = g._comm.Ireduce(_mpi().IN_PLACE, buf, op=mpi_op, root=root)
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
    what = "gather"
    g, root = _group_and_root(group, dst, what, "dst")
    if g is None:
        return _Done() if async_op else None
    src = _in_buffer(tensor, what)
    if not _root_list(g, root, gather_list, tensor, what, "gather_list", "destination"):
        return _run([g._comm.Igather(src, None, root=root)], what, g, async_op)
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
    what = "scatter"
    g, root = _group_and_root(group, src, what, "src")
    if g is None:
        return _Done() if async_op else None
    buf, done = _buffer(tensor, what)
    if not _root_list(g, root, scatter_list, tensor, what, "scatter_list", "source"):
        return _run([g._comm.Iscatter(None, buf, root=root)], what, g, async_op, done)
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
    frm = _mpi().ANY_SOURCE if src is None else _src_rank(g, src, "irecv", "src")
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
