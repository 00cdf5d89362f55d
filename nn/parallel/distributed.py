"""``DistributedDataParallel``: data-parallel training, one process per rank.

Every rank holds a full copy of the model and trains on its own part of each batch (a
``DistributedSampler`` gives each rank different samples). After ``loss.backward()`` the
gradients are averaged over the ranks, so every rank takes the same optimizer step and the
copies stay identical, exactly as if one process had trained on all the ranks' samples
together (the mean of the per-rank mean losses is the mean loss over the whole batch).

How the averaging overlaps with backward (the same design as torch's DDP):

1. At wrap time the parameters are grouped into *buckets* of about ``bucket_cap_mb`` MiB,
   in reverse order of ``module.parameters()`` — roughly the order in which backward
   produces their gradients (the last layer's first). The first bucket is kept small
   (1 MiB) so communication starts early.
2. A post-accumulate-grad hook on every parameter copies its finished gradient into its
   bucket. When a bucket is complete, a non-blocking all-reduce of it starts at once (a
   background thread of ``autograd.distributed`` keeps it moving), while backward goes on
   computing the gradients of earlier layers. Buckets are started in the same order on
   every rank (MPI requires it), even if a later one fills up first.
3. When the last bucket has started, the hook waits for all of them, divides by the world
   size and writes the averages back into ``param.grad``; then ``backward()`` returns.

Example (run with ``bash scripts/mpirun.sh -n 2 script.py``):
    >>> dist.init_process_group("mpi")                             # doctest: +SKIP
    >>> model = nn.parallel.DistributedDataParallel(nn.Linear(4, 1))  # doctest: +SKIP
    >>> model(x).pow(2).mean().backward()   # grads now averaged over the ranks  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
import time

import numpy as np

import autograd
import autograd.distributed as dist
from autograd import Tensor

from ..module import Module

__all__ = ["DistributedDataParallel"]

_MiB = 1024 * 1024
_FIRST_BUCKET_BYTES = 1 * _MiB  # torch's dist._DEFAULT_FIRST_BUCKET_BYTES
_DEFAULT_BUCKET_CAP_MB = 25


class _Bucket:
    """A flat buffer holding the gradients of some parameters of one dtype, reduced in one
    all-reduce; ``views[k]`` is parameter ``params[k]``'s part, shaped like it."""

    def __init__(self, index, param_ids, params, dtype):
        self.index = index
        self.param_ids = param_ids
        self.buffer = np.zeros(sum(p.numel() for p in params), dtype)
        self.views, offset = [], 0
        for p in params:
            self.views.append(self.buffer[offset : offset + p.numel()].reshape(p.shape))
            offset += p.numel()
        self.pending = len(param_ids)
        self.work = None


class DistributedDataParallel(Module):
    """Wrap ``module`` so that ``backward()`` averages its gradients over all ranks.

    Arguments (torch's names; CPU only, so ``device_ids``/``output_device`` stay None):

    - ``broadcast_buffers``: copy rank 0's buffers (e.g. BatchNorm running statistics) to
      every rank at the start of each forward, as torch does; with False each rank keeps its
      own running statistics.
    - ``init_sync``: check that all ranks hold the same parameter shapes and broadcast
      rank 0's parameters and buffers at wrap time, so all copies start equal.
    - ``bucket_cap_mb``: bucket size (default 25 MiB; the first bucket is 1 MiB).
    - ``find_unused_parameters``: after each forward, walk the graph from the outputs and
      mark the parameters it does not reach as ready, so their bucket is not waited for.
      Needed when some parameters take no part in the loss (costs a graph walk per step).
    - ``gradient_as_bucket_view``: after the reduction, ``param.grad`` is a view into the
      bucket instead of a copy (saves memory and a copy per step).
    - ``process_group``: the group to average over (default: all ranks).

    ``module`` is the wrapped model (save ``ddp.module.state_dict()`` to load it later
    without DDP). ``no_sync()`` accumulates gradients locally without communication.
    """

    def __init__(
        self,
        module,
        device_ids=None,
        output_device=None,
        dim=0,
        broadcast_buffers=True,
        init_sync=True,
        process_group=None,
        bucket_cap_mb=None,
        find_unused_parameters=False,
        check_reduction=False,
        gradient_as_bucket_view=False,
        static_graph=False,
    ):
        super().__init__()
        if device_ids or output_device is not None:
            raise ValueError(
                "DistributedDataParallel: jitgrad runs on the CPU; leave device_ids "
                "and output_device out (one process per rank does the parallelism)"
            )
        self._world_size = dist.get_world_size(process_group)  # (raises if not initialized)
        self.process_group = dist.group.WORLD if process_group is None else process_group
        self.module = module
        self.device_ids = None
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph  # accepted for torch compatibility: nothing to cache
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have "
                "any parameter that requires a gradient."
            )
        self._param_names = [n for n, _ in named]
        self._params = [p for _, p in named]
        self.modules_buffers = [b for b in module.buffers()]
        if init_sync:
            self._verify_same_model()
            self._broadcast_from_first_rank(self._params + self.modules_buffers)
        cap = _DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb
        self.bucket_bytes_cap = int(cap * _MiB)
        self._buckets = self._assign_buckets(
            _FIRST_BUCKET_BYTES if bucket_cap_mb is None else self.bucket_bytes_cap
        )
        self._where = {}  # parameter index -> (bucket, position in it)
        for b in self._buckets:
            for k, i in enumerate(b.param_ids):
                self._where[i] = (b, k)
        self._expect_reduction = (
            False  # set by a forward that will be followed by a synced backward
        )
        self._marked = np.zeros(len(self._params), bool)
        self._locally_used = np.ones(len(self._params), np.int32)
        self._next_bucket = 0
        self._last_wait_seconds = 0.0
        self._hook_handles = [
            p.register_post_accumulate_grad_hook(functools.partial(self._grad_ready, i))
            for i, p in enumerate(self._params)
        ]

    # ---- wrap time ----------------------------------------------------------------------
    def _verify_same_model(self):
        mine = [(n, tuple(p.shape), str(p.dtype)) for n, p in zip(self._param_names, self._params)]
        everyone = [None] * self._world_size
        dist.all_gather_object(everyone, mine, group=self.process_group)
        for r, theirs in enumerate(everyone):
            if theirs != mine:
                diff = next(
                    (f"{a} vs {b}" for a, b in zip(mine, theirs) if a != b),
                    f"{len(mine)} vs {len(theirs)} parameters",
                )
                raise RuntimeError(
                    f"DDP expects same model across all ranks, but rank "
                    f"{dist.get_rank(self.process_group)} and rank {r} differ: "
                    f"{diff}"
                )

    def _first_rank(self) -> int:
        """The global rank whose copy is authoritative (rank 0 of the group)."""
        return dist.get_global_rank(self.process_group, 0)

    def _broadcast_from_first_rank(self, tensors):
        """Copy ``tensors`` from the first rank to all, one broadcast per dtype."""
        by_dtype = {}
        for t in tensors:
            by_dtype.setdefault(t._data.dtype, []).append(t)
        for dtype, ts in by_dtype.items():
            flat = Tensor._make(np.concatenate([t._data.ravel() for t in ts]))
            dist.broadcast(flat, src=self._first_rank(), group=self.process_group)
            offset = 0
            for t in ts:
                t._data[...] = flat._data[offset : offset + t.numel()].reshape(t._data.shape)
                t._bump_version()
                offset += t.numel()

    def _assign_buckets(self, first_cap):
        """Group parameter indices, last parameter first, into buckets of at most
        ``bucket_bytes_cap`` bytes (the first at most ``first_cap``), one dtype per bucket."""
        buckets, open_ = [], {}  # dtype -> (indices, bytes)
        cap = first_cap

        def close(dtype):
            nonlocal cap
            ids, _ = open_.pop(dtype)
            buckets.append(_Bucket(len(buckets), ids, [self._params[i] for i in ids], dtype))
            cap = self.bucket_bytes_cap

        for i in reversed(range(len(self._params))):
            p = self._params[i]
            dtype = p._data.dtype
            ids, size = open_.get(dtype, ([], 0))
            ids.append(i)
            open_[dtype] = (ids, size + p._data.nbytes)
            if size + p._data.nbytes >= cap:
                close(dtype)
        for dtype in list(open_):
            close(dtype)
        return buckets

    # ---- forward ------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        grad_sync = autograd.is_grad_enabled() and self.require_backward_grad_sync
        if grad_sync:
            self._check_previous_reduction_finished()
        if self.require_forward_param_sync and self.broadcast_buffers and self.modules_buffers:
            self._broadcast_from_first_rank(self.modules_buffers)
        output = self.module(*inputs, **kwargs)
        if grad_sync:
            # like torch: buffers are broadcast before a forward only if the previous forward
            # was a training one whose backward synchronises
            self.require_forward_param_sync = True
            self._prepare_for_backward(output)
        else:
            self.require_forward_param_sync = False
        return output

    @contextlib.contextmanager
    def no_sync(self):
        """Gradients of the forward/backward passes inside accumulate locally (no
        communication); the first synced backward after it averages the accumulated sums.

        Example:
            >>> with ddp.no_sync():                  # doctest: +SKIP
            ...     loss_fn(ddp(x1), y1).backward()  # local only
            >>> loss_fn(ddp(x2), y2).backward()      # averages the sum of both  # doctest: +SKIP
        """
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def _check_previous_reduction_finished(self):
        if not self._expect_reduction:
            return
        missing = [n for n, m in zip(self._param_names, self._marked) if not m]
        hint = (
            "Since `find_unused_parameters=True` is enabled, this likely means that not all "
            "`forward` outputs participate in computing loss."
            if self.find_unused_parameters
            else "You can enable unused parameter detection by passing the keyword argument "
            "`find_unused_parameters=True` to `nn.parallel.DistributedDataParallel`, and by "
            "making sure all `forward` function outputs participate in calculating loss."
        )
        self._expect_reduction = False
        raise RuntimeError(
            "Expected to have finished reduction in the prior iteration before starting a new "
            "one. This error indicates that your module has parameters that were not used in "
            f"producing loss. {hint}\nParameters which did not receive grad for rank "
            f"{dist.get_rank(self.process_group)}: {', '.join(missing)}"
        )

    def _prepare_for_backward(self, output):
        if self._world_size == 1:
            return  # nothing to average: backward leaves the gradients as they are
        self._marked[:] = False
        self._next_bucket = 0
        for b in self._buckets:
            b.pending = len(b.param_ids)
            b.work = None
        self._expect_reduction = True
        if self.find_unused_parameters:
            reached = _params_reached_from(output)
            self._locally_used[:] = [id(p) in reached for p in self._params]
            for i in np.flatnonzero(self._locally_used == 0):
                self._mark_ready(int(i))

    # ---- backward: called by each parameter's post-accumulate-grad hook ---------------
    def _grad_ready(self, i, param):
        if not self._expect_reduction:
            return  # no_sync(), or a forward without grad: gradients stay local
        if self._marked[i]:
            raise RuntimeError(
                "Expected to mark a variable ready only once. This happens when a parameter "
                f"({self._param_names[i]}) receives a gradient twice in one iteration: a second "
                "backward through the same forward (retain_graph=True), or a parameter used "
                "outside the wrapped module's forward. Use no_sync() for all but the last "
                "backward, or call forward again."
            )
        self._mark_ready(i)

    def _mark_ready(self, i):
        self._marked[i] = True
        bucket, k = self._where[i]
        grad = self._params[i].grad
        view = bucket.views[k]
        if grad is None:  # an unused parameter contributes zeros
            view[...] = 0
        elif grad._data.ctypes.data != view.ctypes.data:  # (gradient_as_bucket_view: in place)
            np.copyto(view, grad._data)
        bucket.pending -= 1
        # Start every complete bucket, in bucket order (MPI needs the same order everywhere).
        while (
            self._next_bucket < len(self._buckets) and self._buckets[self._next_bucket].pending == 0
        ):
            b = self._buckets[self._next_bucket]
            b.work = dist.all_reduce(
                Tensor._make(b.buffer), group=self.process_group, async_op=True
            )
            self._next_bucket += 1
        if self._next_bucket == len(self._buckets):
            self._finish_reduction()

    def _finish_reduction(self):
        self._expect_reduction = False
        start = time.perf_counter()
        used = None
        if self.find_unused_parameters:  # a parameter unused on every rank keeps grad None
            used = Tensor._make(self._locally_used.copy())
            dist.all_reduce(used, op=dist.ReduceOp.MAX, group=self.process_group)
            used = used._data
        for b in self._buckets:
            b.work.wait()
        # how long backward's end waited for communication (bench/bench_distributed.py)
        self._last_wait_seconds = time.perf_counter() - start
        n = self._world_size
        for i, p in enumerate(self._params):
            bucket, k = self._where[i]
            view = bucket.views[k]
            if p.grad is None and used is not None and not used[i]:
                continue  # no rank used it: like torch, its grad stays None
            if self.gradient_as_bucket_view and (p.grad is None or not p.grad._requires_grad):
                np.divide(view, n, out=view)
                if p.grad is None or p.grad._data.ctypes.data != view.ctypes.data:
                    p.grad = Tensor._make(view)
            elif p.grad is None:
                p.grad = Tensor._make(view / n)
            else:  # the sum divided by the world size, written into .grad in one pass
                np.divide(view, n, out=p.grad._data)
                p.grad._bump_version()


def _tensors_in(obj):
    """The tensors inside a forward's output (a tensor, or lists/tuples/dicts of them)."""
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors_in(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors_in(o)


def _params_reached_from(output) -> set:
    """ids of the leaf tensors that the outputs' graph reaches (through ``next_functions``
    down to each leaf's ``AccumulateGrad`` node, whose ``variable`` is the leaf)."""
    reached, seen = set(), set()
    stack = []
    for t in _tensors_in(output):
        if t.grad_fn is not None:
            stack.append(t.grad_fn)
        elif t.requires_grad:
            reached.add(id(t))
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        leaf = getattr(node, "variable", None)
        if leaf is not None:
            reached.add(id(leaf))
            continue
        stack.extend(nxt for nxt, _ in node.next_functions if nxt is not None)
    return reached
