"""BLAS-style fused products: ``beta * input + alpha * (product)``.

``addmm`` (matrix @ matrix), ``baddbmm`` (batched), ``addbmm`` (batched, summed over the
batch), ``addmv`` (matrix @ vector) and ``addr`` (outer product). Each is the product op of
linalg.py scaled and added to ``input``, so the gradients (and second derivatives) are those
of ``mm``/``bmm``/``mv``/``outer``, ``mul`` and ``add``. ``input`` broadcasts to the
product's shape (torch's "expanded size" error otherwise). As in torch, ``beta=0`` ignores
``input``'s values: nan or inf in it does not reach the result (its gradient is zero).
"""

from __future__ import annotations

from .. import amp as _amp
from ..errors import DTypeError, ShapeError
from ..tensor import Tensor
from ._util import ZeroGradInput
from .arithmetic import add, mul
from .linalg import _TORCH_NAMES, _name, bmm, mm, mv, outer
from .masking import _number_as
from .movement import expand
from .reduce import sum as _sum
from .registry import OpInfo, Sample, register

__all__ = ["addmm", "addbmm", "baddbmm", "addmv", "addr"]


def _tensor_args(opname: str, **args) -> tuple:
    """The arguments (name -> value, in order), each checked to be a Tensor (torch's error
    names the first one that is not)."""
    for arg, x in args.items():
        if not isinstance(x, Tensor):
            raise TypeError(f"{opname}(): argument '{arg}' must be Tensor, not {type(x).__name__}")
    return tuple(args.values())


def _check_ndim(ndim: int, message: str, **args):
    """torch's error for the first argument (name -> tensor) without ``ndim`` dims;
    ``message`` is formatted with the argument's ``name`` and its ``ndim``."""
    for name, t in args.items():
        if t.ndim != ndim:
            raise ShapeError(message.format(name=name, ndim=t.ndim))


def _scaled_sum(input: Tensor, product: Tensor, beta, alpha) -> Tensor:
    """``beta * input + alpha * product``, ``input`` broadcast to the product's shape; a
    factor of 1 is not multiplied (so integer tensors stay integer), ``beta == 0`` drops
    ``input``."""
    if input._data.dtype != product._data.dtype:
        raise DTypeError(
            f"self and mat2 must have the same dtype, but got "
            f"{_name(input, _TORCH_NAMES)} and {_name(product, _TORCH_NAMES)}"
        )
    if input.shape != product.shape:
        input = expand(input, product.shape)  # torch's "expanded size" error on a mismatch
    if product._data.dtype.kind in "iu":  # (mul wraps a Python int, as arithmetic does;
        for factor in (beta, alpha):  # torch refuses a factor the type cannot hold)
            if type(factor) is int:
                _number_as(factor, product._data.dtype)
    out = product if alpha == 1 else mul(product, alpha)
    if beta == 0:
        return ZeroGradInput.apply(out, input)
    return add(out, input if beta == 1 else mul(input, beta))


@_amp.lower_precision
def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` for matrices; ``input`` broadcasts to the
    result's shape (a bias row, for instance).

    Example:
        >>> autograd.addmm(autograd.ones(2), autograd.ones(2, 3), autograd.ones(3, 2))
        tensor([[4., 4.],
                [4., 4.]])
    """
    x, a, b = _tensor_args("addmm", input=input, mat1=mat1, mat2=mat2)
    _check_ndim(2, "{name} must be a matrix, got {ndim}-D tensor", mat1=a, mat2=b)
    return _scaled_sum(x, mm(a, b), beta, alpha)


@_amp.lower_precision
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``: a batch of ``addmm``.

    Example:
        >>> autograd.baddbmm(autograd.zeros(2, 1, 1), autograd.ones(2, 1, 3),
        ...                  autograd.ones(2, 3, 1)).flatten()
        tensor([3., 3.])
    """
    x, a, b = _tensor_args("baddbmm", input=input, batch1=batch1, batch2=batch2)
    return _scaled_sum(x, bmm(a, b), beta, alpha)


@_amp.lower_precision
def addbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``: the batch of products summed.

    Example:
        >>> autograd.addbmm(autograd.zeros(1, 1), autograd.ones(4, 1, 3), autograd.ones(4, 3, 1))
        tensor([[12.]])
    """
    x, a, b = _tensor_args("addbmm", input=input, batch1=batch1, batch2=batch2)
    _check_ndim(3, "{name} must be a 3D tensor", batch1=a, batch2=b)
    if a.shape[0] != b.shape[0]:
        raise ShapeError(
            f"batch1 and batch2 must have same number of batches, got {a.shape[0]} and {b.shape[0]}"
        )
    return _scaled_sum(x, _sum(bmm(a, b), 0), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``.

    Example:
        >>> autograd.addmv(autograd.ones(2), autograd.ones(2, 3), autograd.ones(3))
        tensor([4., 4.])
    """
    x, a, v = _tensor_args("addmv", input=input, mat=mat, vec=vec)
    if (
        a.ndim == 2
        and v.ndim == 1
        and a.shape[1] == v.shape[0]
        and x.ndim == 1
        and x.shape[0] not in (1, a.shape[0])
    ):
        raise ShapeError(
            f"size mismatch, got input ({x.shape[0]}), mat ({a.shape[0]}x"
            f"{a.shape[1]}), vec ({v.shape[0]})"
        )
    return _scaled_sum(x, mv(a, v), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``.

    Example:
        >>> autograd.addr(autograd.zeros(2, 2), autograd.tensor([1.0, 2.0]),
        ...               autograd.tensor([1.0, 3.0]))
        tensor([[1., 3.],
                [2., 6.]])
    """
    x, u, v = _tensor_args("addr", input=input, vec1=vec1, vec2=vec2)
    _check_ndim(1, "addr: Expected 1-D argument {name}, but got {ndim}-D", vec1=u, vec2=v)
    return _scaled_sum(x, outer(u, v), beta, alpha)


# ---- references and samples ------------------------------------------------------------------
def _ref(product):
    def ref(x, a, b, beta=1, alpha=1):
        p = product(a, b)
        return alpha * p if beta == 0 else beta * x + alpha * p

    return ref


def _blas_samples(shapes):
    """``shapes``: (input, first, second) per sample; the same shapes again with beta/alpha."""

    def gen(rng):
        n = rng.normal
        out = [Sample(n(size=s0), n(size=s1), n(size=s2)) for s0, s1, s2 in shapes]
        s0, s1, s2 = shapes[0]
        out.append(Sample(n(size=s0), n(size=s1), n(size=s2), beta=0.5, alpha=-2.0))
        out.append(Sample(n(size=s0), n(size=s1), n(size=s2), beta=0, alpha=1.5))
        return out

    return gen


# name, function, the product in NumPy, the shapes of (input, first, second) per sample
_OPS = (
    (
        "addmm",
        addmm,
        lambda a, b: a @ b,
        [
            ((2, 4), (2, 3), (3, 4)),
            ((4,), (2, 3), (3, 4)),
            ((), (2, 3), (3, 4)),
            ((2, 1), (2, 0), (0, 1)),
        ],
    ),
    (
        "baddbmm",
        baddbmm,
        lambda a, b: a @ b,
        [
            ((2, 2, 4), (2, 2, 3), (2, 3, 4)),
            ((2, 1), (3, 2, 3), (3, 3, 1)),
            ((0, 1, 2), (0, 1, 3), (0, 3, 2)),
        ],
    ),
    (
        "addbmm",
        addbmm,
        lambda a, b: (a @ b).sum(0),
        [
            ((2, 4), (3, 2, 3), (3, 3, 4)),
            ((4,), (2, 2, 1), (2, 1, 4)),
            ((1, 2), (0, 1, 3), (0, 3, 2)),
        ],
    ),
    (
        "addmv",
        addmv,
        lambda a, v: a @ v,
        [((2,), (2, 3), (3,)), ((), (4, 2), (2,)), ((0,), (0, 3), (3,))],
    ),
    (
        "addr",
        addr,
        lambda u, v: u[:, None] * v[None, :],
        [((2, 3), (2,), (3,)), ((3,), (4,), (3,)), ((), (0,), (2,))],
    ),
)
for _op, _fn, _product, _shapes in _OPS:
    register(
        OpInfo(
            _op,
            _fn,
            inplace=True,
            ref=_ref(_product),
            family="blas",
            samples=_blas_samples(_shapes),
        )
    )
