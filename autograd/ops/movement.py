"""Shape ops: expand, reshape, permute/transpose, squeeze/unsqueeze, ...

These move or re-view data without arithmetic; each VJP applies the inverse movement to
the gradient (``expand`` is the one that sums: broadcasting copies a value to many places,
so the gradient of that value is the sum over those places).
"""

from __future__ import annotations

import math

import numpy as np

from .. import dispatch
from ..errors import ShapeError, shape_str
from ..function import Op
from ..forward_ad import linear_jvp
from ..tensor import Tensor
from . import xp as _xp
from ._util import sizes_arg, wrap_dim, wrap_dims
from .indexing import _view_of  # (indexing imports movement lazily)
from .registry import OpInfo, Sample, register
from .samples import normal, shaped_samples

__all__ = [
    "expand",
    "broadcast_to",
    "sum_to_size",
    "reshape",
    "view",
    "permute",
    "transpose",
    "swapaxes",
    "swapdims",
    "t",
    "t_",
    "transpose_",
    "unsqueeze",
    "squeeze",
    "sizes_arg",
    "expand_as",
    "flatten",
    "unflatten",
    "movedim",
    "moveaxis",
]


# Gradients this large or larger take the numba backend's kernel for a sum over leading axes
# (kernels/reduce.py, sum_leading); on smaller ones NumPy's own call costs no more than
# choosing and calling a kernel.
_SUM_KERNEL_MIN = 8192


def _sum_to_shape(g: np.ndarray, shape) -> np.ndarray:
    """Sum a broadcast gradient back down to ``shape`` (NumPy arrays)."""
    shape = tuple(shape)
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead and shape and g.shape[lead:] == shape and g.dtype.kind in "fc":
        # only leading axes to sum (a bias's gradient): the same sum as below, without the
        # keepdims and reshapes that cost as much as the sum itself on small gradients
        if g.size >= _SUM_KERNEL_MIN and g.flags.c_contiguous and dispatch.enabled():  # numba:
            rows = g.reshape(-1, math.prod(shape))  # one kernel pass, NumPy's own order
            K = dispatch.kernels("reduce", rows, (0,))
            out = None if K is None else K.sum_leading(rows)
            if out is not None:  # (a 1-d bias: the kernel's own array, not a view of it,
                return out if len(shape) == 1 else out.reshape(shape)  # so .grad takes it over)
        return g.sum(axis=tuple(range(lead)))
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1
    )
    out = g.sum(axis=axes, keepdims=True) if axes else g
    if lead:
        out = out.reshape(out.shape[lead:])
    return np.asarray(out, dtype=g.dtype).reshape(shape)


# ---- expand -------------------------------------------------------------------------------
_ndarray = np.ndarray


def _broadcast_view(x: np.ndarray, shape: tuple) -> np.ndarray:
    """``np.broadcast_to(x, shape)``: the same read-only view (same values, shape, strides),
    built directly from the strides for a C-contiguous ``x`` (a bias expanded to the batch:
    ``np.broadcast_to``'s Python checks cost several times the view itself). ``shape`` is
    already valid (``_expand_shape``); other layouts and empty arrays take ``np.broadcast_to``."""
    if not x.flags.c_contiguous or not x.size or 0 in shape:
        return np.broadcast_to(x, shape)
    lead = len(shape) - x.ndim
    strides = [0] * lead
    for i, n in enumerate(x.shape):  # a broadcast size-1 dim steps by 0
        strides.append(x.strides[i] if n == shape[lead + i] else 0)
    out = _ndarray(shape, x.dtype, x, 0, tuple(strides))
    out.flags.writeable = False
    return out


class Expand(Op):
    """Broadcast to a bigger shape (a read-only view); VJP sums back to the input shape."""

    jvp = staticmethod(linear_jvp)

    view_param = "shape"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return _broadcast_view(x, shape)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.sum_to(g, ctx.in_shape)


def _expand_shape(in_shape, sizes):
    sizes = tuple(sizes)
    if len(sizes) < len(in_shape):
        raise ShapeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or "
            f"equal to the number of dimensions in the tensor ({len(in_shape)})"
        )
    lead = len(sizes) - len(in_shape)
    out = list(sizes)
    for i, n in enumerate(in_shape):
        s = sizes[lead + i]
        if s == -1:
            out[lead + i] = n
        elif n != 1 and s != n:
            raise ShapeError(
                f"The expanded size of the tensor ({s}) must match the existing size "
                f"({n}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"{list(sizes)}.  Tensor sizes: {list(in_shape)}"
            )
    for i in range(lead):
        if out[i] < 0:
            raise ShapeError(
                f"expand: the expanded size {out[i]} is not allowed in a leading, "
                "non-existing dimension"
            )
    return tuple(out)


def expand(input: Tensor, *sizes) -> Tensor:
    """Broadcast ``input`` to ``sizes`` without copying (-1 keeps a dimension).

    Example:
        >>> autograd.tensor([1.0, 2.0]).expand(2, 2)
        tensor([[1., 2.],
                [1., 2.]])
    """
    shape = _expand_shape(input._data.shape, sizes_arg(sizes))
    if shape == input._data.shape:
        return input
    return _view_of(Expand.apply(input, shape=shape), input, Expand, shape)


def broadcast_to(input: Tensor, size) -> Tensor:
    """Same as ``expand`` (NumPy's name)."""
    return expand(input, tuple(size))


def sum_to_size(input: Tensor, *size) -> Tensor:
    """Sum ``input`` down to a shape it broadcasts from (the inverse of expand)."""
    from .reduce import sum as _sum

    shape = sizes_arg(size)
    lead = input.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and input.shape[lead + i] != 1
    )
    out = _sum(input, dims, keepdim=True) if dims else input
    return reshape(out, shape)


_xp.define("sum_to", numpy=_sum_to_shape, tensor=sum_to_size)
_xp.define("expand", numpy=np.broadcast_to, tensor=expand)


def _np_expand(x, sizes):
    lead = len(sizes) - x.ndim
    return np.broadcast_to(
        x, tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    )


register(
    OpInfo(
        "expand",
        expand,
        ref=_np_expand,
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 1)), (2, 3, 4)),
            Sample(rng.normal(size=(4,)), (3, -1)),
            Sample(rng.normal(size=()), (2, 2)),
        ],
        family="movement",
    )
)
register(
    OpInfo(
        "broadcast_to",
        broadcast_to,
        ref=np.broadcast_to,
        samples=lambda rng: [Sample(rng.normal(size=(3, 1)), (3, 5))],
        family="movement",
    )
)
register(
    OpInfo(
        "sum_to_size",
        sum_to_size,
        ref=lambda x, s: _sum_to_shape(x, s),
        samples=lambda rng: [Sample(rng.normal(size=(2, 3, 4)), (3, 1))],
        family="movement",
    )
)


# ---- reshape ------------------------------------------------------------------------------
def _infer_shape(numel, shape, in_shape):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise ShapeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise ShapeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise ShapeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise ShapeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


class Reshape(Op):
    """Same elements, new shape (a view when NumPy can make one); VJP reshapes back."""

    jvp = staticmethod(linear_jvp)

    grad_fn_name = "ViewBackward0"
    view_param = "shape"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.reshape(g, ctx.in_shape)


def reshape(input: Tensor, *shape) -> Tensor:
    """A tensor with the same data and a new shape (one dimension may be -1).

    Example:
        >>> autograd.arange(6).reshape(2, 3)
        tensor([[0, 1, 2],
                [3, 4, 5]])
    """
    return _reshape_to(input, _infer_shape(input._data.size, sizes_arg(shape), input._data.shape))


def _reshape_to(input: Tensor, shape: tuple) -> Tensor:
    """``reshape`` to a checked, inferred shape (``view`` has already worked it out)."""
    if shape == input._data.shape:
        return input
    return _view_of(Reshape.apply(input, shape=shape), input, Reshape, shape)


def view(input: Tensor, *shape) -> Tensor:
    """The same memory seen with a new shape; like torch, refuses shapes that would need a
    copy (writes through a view must reach ``input``), where ``reshape`` copies.

    Example:
        >>> x = autograd.zeros(2, 3)
        >>> x.view(6)[0] = 1.0; x[0, 0].item()
        1.0
    """
    shape = _infer_shape(input._data.size, sizes_arg(shape), input._data.shape)
    try:
        input._data.reshape(shape, copy=False)
    except ValueError:
        raise ShapeError(
            "view size is not compatible with input tensor's size and stride (at least "
            "one dimension spans across two contiguous subspaces). Use .reshape(...) "
            f"instead. (view: input of shape {shape_str(input.shape)} and strides "
            f"{_strides(input._data)} cannot be seen as shape {shape_str(shape)} "
            "without a copy)"
        ) from None
    return _reshape_to(input, shape)


def _strides(arr):
    return shape_str(s // arr.itemsize for s in arr.strides)


def _np_reshape(x, shape):
    return x.reshape(shape)


_xp.define("reshape", numpy=_np_reshape, tensor=reshape)
# rows: the input shape, the new shape
_RESHAPE_SAMPLES = shaped_samples(
    normal,
    ((2, 6), (3, 4)),
    ((2, 6), (-1,)),
    ((), (1, 1)),
    ((0, 3), (3, 0)),
)
register(OpInfo("reshape", reshape, ref=_np_reshape, samples=_RESHAPE_SAMPLES, family="movement"))
register(
    OpInfo(
        "view",
        view,
        ref=_np_reshape,
        samples=shaped_samples(normal, ((4, 3), (2, -1))),
        family="movement",
    )
)


# ---- permute / transpose ------------------------------------------------------------------
class Permute(Op):
    """Reorder dimensions; VJP applies the inverse permutation."""

    jvp = staticmethod(linear_jvp)

    view_param = "dims"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)  # (np.transpose's view, without its array-function dispatch)

    @staticmethod
    def backward(ctx, g, xp):
        inverse = [0] * len(ctx.dims)  # (np.argsort of a tuple costs more than the VJP)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return xp.permute(g, tuple(inverse))


def permute(input: Tensor, *dims) -> Tensor:
    """Reorder the dimensions.

    Example:
        >>> autograd.zeros(2, 3, 4).permute(2, 0, 1).shape
        autograd.Size([4, 2, 3])
    """
    dims = sizes_arg(dims)
    if len(dims) != input.ndim:
        raise ShapeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not "
            f"match the length of the desired ordering of dimensions i.e. input.dim() "
            f"= {input.ndim} is not equal to len(dims) = {len(dims)}"
        )
    dims = tuple(wrap_dim(d, input.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    if dims == tuple(range(input.ndim)):
        return input
    return _view_of(Permute.apply(input, dims=dims), input, Permute, dims)


class Transpose(Permute):
    """``transpose``/``swapaxes``/``swapdims``: Permute under torch's grad_fn name."""

    grad_fn_name = "TransposeBackward0"


# the out-of-place permutations: one op under two grad_fn names (the compiler treats them alike)
PERMUTES = (Permute, Transpose)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions.

    Example:
        >>> autograd.zeros(2, 3).transpose(0, 1).shape
        autograd.Size([3, 2])
    """
    n = input.ndim
    if n == 0:
        wrap_dim(dim0, 0), wrap_dim(dim1, 0)
        return input
    d0, d1 = wrap_dim(dim0, n), wrap_dim(dim1, n)
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    dims = tuple(dims)  # (d0 == d1 still gives a view, as torch's)
    return _view_of(Transpose.apply(input, dims=dims), input, Transpose, dims)


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dimensions.

    Example:
        >>> autograd.zeros(2, 3).t().shape
        autograd.Size([3, 2])
    """
    n = input._data.ndim
    if n == 2:  # (a Linear's ``weight.t()``: straight to the op, as transpose(input, 0, 1) ends)
        return _view_of(Transpose.apply(input, dims=(1, 0)), input, Transpose, (1, 0))
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    return input


# ---- in-place transposes: t_, transpose_ (= swapaxes_, swapdims_) ----------------------------
class TInplace(Permute):
    """``t_``: Permute under torch's grad_fn name for the in-place form."""

    grad_fn_name = "TBackward1"


class TransposeInplace(Permute):
    """``transpose_``/``swapaxes_``/``swapdims_``: Permute under torch's grad_fn name."""

    grad_fn_name = "TransposeBackward1"


def _permute_inplace_(self: Tensor, op: type, dims: tuple) -> Tensor:
    """``self`` becomes its own permutation by ``dims``, in place: the same memory with its
    dimensions reordered (a metadata change, as torch's). Like any in-place op it bumps the
    version counter (a backward through a node that saved the old tensor then fails), is
    refused on a leaf that requires grad or a view of one, and gives ``self`` a new node."""
    from .inplace import _check_inplace, _take_history
    from ..forward_ad import _attach
    from ..grad_mode import _grad_enabled

    _check_inplace(self)
    record = self._requires_grad and _grad_enabled.get()
    old = (
        Tensor._from_node(self._data, self.grad_fn, self._output_nr, self._version_cell)
        if record and self.grad_fn is not None
        else Tensor._make(self._data)
    )
    old._fw = self._fw  # (a tangent is permuted with the value)
    new = op.apply(old, dims=dims)
    self._data = new._data
    view = self._view
    if view is not None:  # still a view of its base, one step further
        self._view = (view[0], view[1] + ((op, dims),), view[2])
    for ref in self._views or ():
        v = ref()
        if v is not None and v._view is not None and v._view[0] is self:
            # views of self are replayed from it: undo the permutation first
            inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))
            v._view = (self, ((op, inverse),) + v._view[1], v._view[2])
    self._version_cell[0] += 1
    if record:
        _take_history(self, new)
    if new._fw is not None:
        _attach(self, new._fw[1], new._fw[0])
    return self


def transpose_(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """In-place ``transpose``: swap two dimensions of ``input`` itself (also ``swapaxes_``,
    ``swapdims_``); returns ``input``.

    Example:
        >>> x = autograd.zeros(2, 3)
        >>> x.transpose_(0, 1).shape
        autograd.Size([3, 2])
    """
    n = max(input.ndim, 1)
    d0, d1 = wrap_dim(dim0, n), wrap_dim(dim1, n)
    dims = list(range(input.ndim))
    if input.ndim:
        dims[d0], dims[d1] = dims[d1], dims[d0]
    return _permute_inplace_(input, TransposeInplace, tuple(dims))


def t_(input: Tensor) -> Tensor:
    """In-place ``t``: transpose a tensor of at most 2 dimensions itself; returns it.

    Example:
        >>> autograd.zeros(2, 3).t_().shape
        autograd.Size([3, 2])
    """
    n = input.ndim
    if n > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {n}D")
    return _permute_inplace_(input, TInplace, (1, 0) if n == 2 else tuple(range(n)))


_xp.define("permute", numpy=lambda g, dims: g.transpose(dims), tensor=permute)
# (the method, not np.swapaxes: the same view without the array-function dispatch, which
# costs more than the swap itself in every matmul VJP)
_xp.define("transpose", numpy=lambda g, a, b: g.swapaxes(a, b), tensor=transpose)
register(
    OpInfo(
        "permute",
        permute,
        ref=lambda x, d: np.transpose(x, d),
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 3, 4)), (2, 0, 1)),
            Sample(rng.normal(size=(2, 3)), (-1, 0)),
        ],
        family="movement",
    )
)
register(
    OpInfo(
        "transpose",
        transpose,
        ref=lambda x, a, b: np.swapaxes(x, a, b),
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 3, 4)), 0, 2),
            Sample(rng.normal(size=(2, 3)), -1, -2),
            Sample(rng.normal(size=(3, 2, 3)), 2, 0),  # (a shape transpose_ keeps)
        ],
        family="movement",
        inplace=True,  # (transpose_, swapaxes_, swapdims_: tensor_methods binds the view forms)
    )
)
register(
    OpInfo(
        "t",
        t,
        ref=lambda x: x.T,
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 3))),
            Sample(rng.normal(size=(3,))),
            Sample(rng.normal(size=(3, 3))),
        ],
        family="movement",
        inplace=True,  # (t_: tensor_methods binds the view form)
    )
)


# ---- unsqueeze / squeeze ------------------------------------------------------------------
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim``.

    Example:
        >>> autograd.zeros(3).unsqueeze(0).shape
        autograd.Size([1, 3])
    """
    d = wrap_dim(dim, input.ndim + 1)
    shape = input._data.shape[:d] + (1,) + input._data.shape[d:]
    return _view_of(Reshape.apply(input, shape=shape), input, Reshape, shape)


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove dimensions of size 1 (all of them, or only those in ``dim``).

    Example:
        >>> autograd.zeros(1, 3, 1).squeeze().shape
        autograd.Size([3])
    """
    shape = input.shape
    dims = wrap_dims(dim, input.ndim) if dim is not None else tuple(range(input.ndim))
    new = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
    if new == tuple(shape):
        return input
    return _view_of(Reshape.apply(input, shape=new), input, Reshape, new)


_xp.define("unsqueeze", numpy=np.expand_dims, tensor=unsqueeze)
# rows: the input shape, dim
_UNSQUEEZE_SAMPLES = shaped_samples(
    normal,
    ((2, 3), 1),
    ((2, 3), -1),
    ((), 0),
)
register(
    OpInfo(
        "unsqueeze", unsqueeze, ref=np.expand_dims, samples=_UNSQUEEZE_SAMPLES, family="movement"
    )
)
register(
    OpInfo(
        "squeeze",
        squeeze,
        ref=lambda x, dim=None: (
            np.squeeze(
                x,
                axis=tuple(
                    d % x.ndim for d in ((dim,) if isinstance(dim, int) else dim) if x.shape[d] == 1
                ),
            )
            if dim is not None
            else np.squeeze(x)
        ),
        samples=lambda rng: [
            Sample(rng.normal(size=(1, 3, 1))),
            Sample(rng.normal(size=(1, 3, 1)), 0),
            Sample(rng.normal(size=(1, 3, 1)), (0, 1)),
            Sample(rng.normal(size=(2, 3)), 1),
        ],
        family="movement",
    )
)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.expand(other.shape)``.

    Example:
        >>> autograd.tensor([1.0]).expand_as(autograd.zeros(2, 2)).shape
        autograd.Size([2, 2])
    """
    return expand(input, tuple(other.shape))


register(
    OpInfo(
        "expand_as",
        expand_as,
        ref=lambda x, o: np.broadcast_to(x, o.shape),
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 1)), rng.normal(size=(2, 3, 4)), no_grad_args=(1,))
        ],
        family="movement",
    )
)


# ---- flatten / unflatten / movedim: reshape and permute in disguise ------------------------
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one.

    Example:
        >>> autograd.zeros(2, 3, 4).flatten(1).shape
        autograd.Size([2, 12])
    """
    if input.ndim == 0:
        wrap_dim(start_dim, 0), wrap_dim(end_dim, 0)
        return reshape(input, (1,))
    s, e = wrap_dim(start_dim, input.ndim), wrap_dim(end_dim, input.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape
    merged = int(np.prod(shape[s : e + 1]))
    return reshape(input, tuple(shape[:s]) + (merged,) + tuple(shape[e + 1 :]))


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dimension ``dim`` into ``sizes`` (one of them may be -1).

    Example:
        >>> autograd.zeros(2, 12).unflatten(1, (3, 4)).shape
        autograd.Size([2, 3, 4])
    """
    d = wrap_dim(dim, input.ndim)
    sizes = sizes_arg((sizes,))
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = input.shape[d]
    known = int(np.prod([s for s in sizes if s != -1]))
    if (
        sizes.count(-1) > 1
        or (-1 not in sizes and known != n)
        or (-1 in sizes and (known == 0 or n % known))
    ):
        raise ShapeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size "
            f"of dim {dim} ({n}) in the input tensor"
        )
    return reshape(input, tuple(input.shape[:d]) + sizes + tuple(input.shape[d + 1 :]))


def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dimension(s) ``source`` to position(s) ``destination``; the others keep their
    order.

    Example:
        >>> autograd.zeros(2, 3, 4).movedim(0, -1).shape
        autograd.Size([3, 4, 2])
    """
    src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} "
            f"dims) should contain the same number of dims as destination "
            f"({list(dst)} dims)"
        )
    n = input.ndim
    src = tuple(wrap_dim(d, n) for d in src)
    dst = tuple(wrap_dim(d, n) for d in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError("movedim: repeated dim in `source` or `destination`")
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order) if n else input


moveaxis = movedim

register(
    OpInfo(
        "flatten",
        flatten,
        ref=lambda x, s=0, e=-1: (
            x.reshape(x.shape[: s % max(x.ndim, 1)] + (-1,) + x.shape[e % max(x.ndim, 1) + 1 :])
            if x.ndim
            else x.reshape(1)
        ),
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 3, 4))),
            Sample(rng.normal(size=(2, 3, 4)), 1),
            Sample(rng.normal(size=(2, 3, 4, 2)), 1, 2),
            Sample(rng.normal(size=())),
        ],
        family="movement",
    )
)
register(
    OpInfo(
        "unflatten",
        unflatten,
        ref=lambda x, d, s: x.reshape(x.shape[: d % x.ndim] + tuple(s) + x.shape[d % x.ndim + 1 :]),
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 12)), 1, (3, 4)),
            Sample(rng.normal(size=(6, 2)), 0, (-1, 2)),
        ],
        family="movement",
    )
)
register(
    OpInfo(
        "movedim",
        movedim,
        ref=np.moveaxis,
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 3, 4)), 0, -1),
            Sample(rng.normal(size=(2, 3, 4, 5)), (0, 1), (3, 0)),
        ],
        family="movement",
    )
)
