"""Linear algebra: matmul (and its special cases mm, bmm, mv, dot), outer, inner, einsum,
tensordot; ``LinAlgError``, the error the factorisations share (their shared checks, and the
dtype names of the family's messages, are in _linalg_checks.py; the Cholesky factorisation
and triangular solves are in linalg_cholesky.py).

One primitive does the products: ``Matmul``, with NumPy's/PyTorch's semantics (vectors are
promoted to matrices and back, batch dimensions broadcast). Its VJP is written with ``xp``
ops (matmul, transpose, reshape, sum_to), so it is differentiable again. ``einsum`` is the
other primitive; its VJP for each operand is itself an einsum. ``tensordot``, ``inner`` and
``outer`` are built on einsum.
"""

from __future__ import annotations

import string

import numpy as np

from ..errors import DTypeError, ShapeError
from .. import dispatch as _dispatch
from .. import function as _function
from ..function import Op
from ..forward_ad import multilinear_jvp
from ..tensor import Tensor
from . import xp as _xp
from ._util import as_tensor_operand, broadcast_shapes, wrap_dim, tracked
from ._linalg_checks import (  # (re-exported: the linalg_* families import them from here)
    _CPP_NAMES as _CPP_NAMES,
    _TORCH_NAMES as _TORCH_NAMES,
    _check_b_against as _check_b_against,
    _name as _name,
    _same_dtype as _same_dtype,
    _square_batch as _square_batch,
)
from .registry import OpInfo, Sample, register
from .samples import normal, shaped_samples
from .. import amp as _amp

__all__ = [
    "matmul",
    "mm",
    "bmm",
    "mv",
    "dot",
    "vdot",
    "outer",
    "ger",
    "inner",
    "einsum",
    "tensordot",
]


def _x(shape) -> str:
    return "x".join(str(n) for n in shape)


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


# ---- matmul -------------------------------------------------------------------------------
def _matmul_arrays(a, b):
    """``np.matmul(a, b)``, with two changes:

    * a stack of matrices times one matrix, ``(..., n, k) @ (k, m)`` (a ``Linear`` on a batch
      of sequences), is one product of a tall ``(rows, k)`` matrix, as torch computes it:
      ``np.matmul`` would call BLAS once per matrix of the stack;
    * float16 operands are multiplied in float32 and the result rounded to float16 once:
      NumPy has no float16 BLAS (its own loop is tens of times slower than the float32
      product), and float32 accumulation is what torch's CPU kernels and GPUs' tensor cores do.

    The product itself is ``_gemm``'s.
    """
    if a.ndim > 2 and b.ndim == 2:
        rows = _prod(a.shape[:-1])
        out = _matmul_arrays(a.reshape(rows, a.shape[-1]), b)
        return out.reshape(a.shape[:-1] + b.shape[-1:])
    if a.dtype == _F16 and b.dtype == _F16:  # (a dtype, not np.float16: no conversion per call)
        return np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(np.float16)
    return _gemm(a, b)


def _gemm(a, b):
    """``np.matmul(a, b)``: every matrix product of the matmul/linear ops and of the
    convolutions' weight gradients runs here. With the numba backend, float32 products of a
    few rows by a transposed matrix (``x @ w.T`` of a small batch) go through
    autograd/kernels/gemm.py, which asks BLAS for the same product in a faster layout.
    Products it never takes (more rows, fewer columns or terms) skip the kernel lookup."""
    if (
        a.ndim >= 2
        and b.ndim >= 2
        and a.shape[-2] <= _GEMM_MAX_ROWS
        and a.shape[-1] >= _GEMM_MIN_K
        and b.shape[-1] >= _GEMM_MIN_COLS
    ):
        K = _dispatch.kernels("gemm", a, b)
        if K is not None:
            return K.matmul(a, b)
    return np.matmul(a, b)


# kernels/gemm.py's MAX_ROWS, MIN_K and MIN_COLS (tests/test_kernels_gemm.py checks they agree)
_GEMM_MAX_ROWS, _GEMM_MIN_K, _GEMM_MIN_COLS = 32, 64, 128


_F16 = np.dtype(np.float16)


class Matmul(Op):
    """``np.matmul`` semantics. Backward: a vector operand is viewed as a 1-row (left) or
    1-column (right) matrix, then grad_a = g @ b^T and grad_b = a^T @ g, summed over batch
    dimensions the operand was broadcast along."""

    jvp = staticmethod(multilinear_jvp)

    @staticmethod
    def forward(ctx, a, b):
        ctx.a_shape, ctx.b_shape = a.shape, b.shape
        ctx.save_for_backward(a, b)
        return _matmul_arrays(a, b)

    @staticmethod
    def backward(ctx, g, xp):
        a, b = ctx.saved_tensors
        a_shape, b_shape = ctx.a_shape, ctx.b_shape
        need_a, need_b = ctx.needs_input_grad
        if len(a_shape) == 2 and len(b_shape) == 2:  # matrix @ matrix: the common case, in
            ga = xp.matmul(g, xp.transpose(b, -1, -2)) if need_a else None  # which the
            gb = _grad_of_right_matrix(a, g, b, xp) if need_b else None  # reshapes and
            return ga, gb  # sums of the general case below change nothing
        if len(a_shape) > 2 and len(b_shape) == 2:  # stack @ matrix: the stack as one tall
            rows = _prod(a_shape[:-1])  # matrix, as in the forward; grad_b is then one GEMM
            g2 = xp.reshape(g, (rows, b_shape[-1]))  # whose inner sum runs over the stack too
            ga = xp.reshape(xp.matmul(g2, xp.transpose(b, -1, -2)), a_shape) if need_a else None
            gb = None
            if need_b:
                gb = _grad_of_right_matrix(xp.reshape(a, (rows, a_shape[-1])), g2, b, xp)
            return ga, gb
        a2_shape = a_shape if len(a_shape) >= 2 else (1,) + a_shape
        b2_shape = b_shape if len(b_shape) >= 2 else b_shape + (1,)
        a2 = a if len(a_shape) >= 2 else xp.reshape(a, a2_shape)
        b2 = b if len(b_shape) >= 2 else xp.reshape(b, b2_shape)
        batch = broadcast_shapes(a2_shape[:-2], b2_shape[:-2])
        g2 = xp.reshape(g, batch + (a2_shape[-2], b2_shape[-1]))
        ga = gb = None
        if need_a:
            ga = xp.matmul(g2, xp.transpose(b2, -1, -2))
            ga = xp.reshape(xp.sum_to(ga, a2_shape), a_shape)
        if need_b:
            gb = xp.matmul(xp.transpose(a2, -1, -2), g2)
            gb = xp.reshape(xp.sum_to(gb, b2_shape), b_shape)
        return ga, gb


def _grad_of_right_matrix(a, g, b, xp):
    """``a^T @ g``, the gradient of the right operand ``b`` of the matrix product ``a @ b``,
    computed in ``b``'s layout as torch does: for a column-major ``b`` (a transposed
    weight, ``x @ w.t()``) as ``(g^T @ a)^T``, so that the transpose's VJP hands the
    weight a row-major gradient the engine can take as ``.grad`` without a transposing
    copy. (The two orders run BLAS with swapped operands, which may round float64 sums
    differently in the last bit; ``Addmm`` uses the same order, so ``F.linear``'s fast
    path and this composition agree bit for bit.)"""
    arr = b._data if isinstance(b, Tensor) else b
    if arr.flags.f_contiguous and not arr.flags.c_contiguous:
        return xp.transpose(xp.matmul(xp.transpose(g, -1, -2), a), -1, -2)
    return xp.matmul(xp.transpose(a, -1, -2), g)


# grad_fn names torch shows for the special cases
class Mm(Matmul):
    pass


class Dot(Matmul):
    pass


class Mv(Matmul):
    pass


class Bmm(Matmul):
    pass


def _matmul_op(a_nd, b_nd):
    if a_nd == 2 and b_nd == 2:
        return Mm
    if a_nd == 1 and b_nd == 1:
        return Dot
    if a_nd == 2 and b_nd == 1:
        return Mv
    if a_nd == 3 and b_nd == 3:
        return Bmm
    return Matmul


def _tensor(x, opname) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return as_tensor_operand(x)
    raise TypeError(f"{opname}(): argument must be a Tensor, not {type(x).__name__}")


def _check_matmul(a: Tensor, b: Tensor):
    """PyTorch's checks and messages for matmul (dtype first, then shapes)."""
    sa, sb = a._data.shape, b._data.shape
    if len(sa) == 0 or len(sb) == 0:
        raise ShapeError(
            f"both arguments to matmul need to be at least 1D, but they are "
            f"{len(sa)}D and {len(sb)}D"
        )
    _same_dtype(a, b, "expected m1 and m2 to have the same dtype, but got: {0} != {1}", _CPP_NAMES)
    ka = sa[-1]
    kb = sb[0] if len(sb) == 1 else sb[-2]
    if len(sa) == 1 and len(sb) == 1:
        if ka != kb:
            raise ShapeError(
                f"inconsistent tensor size, expected tensor [{ka}] and src [{kb}] to "
                f"have the same number of elements, but got {ka} and {kb} elements "
                "respectively"
            )
        return
    if len(sb) == 1:  # (..., m, k) @ (k,)
        if ka != kb:
            m = _prod(sa[:-1])
            raise ShapeError(f"size mismatch, got input ({m}), mat ({m}x{ka}), vec ({kb})")
        return
    if len(sa) <= 2 and len(sb) == 2:
        if ka != kb:
            a2 = sa if len(sa) == 2 else (1,) + sa
            raise ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({_x(a2)} and {_x(sb)})")
        return
    batch = broadcast_shapes(sa[:-2], sb[:-2])  # raises torch's broadcasting message
    if ka != kb:
        n = _prod(batch)
        raise ShapeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{n}, {ka}] but got: [{n}, {kb}]."
        )


@_amp.lower_precision
def matmul(input, other) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics: 1-D @ 1-D is a dot product, a 1-D
    operand acts as a row (left) or column (right) vector, and leading batch dimensions
    broadcast. Both operands must have the same dtype.

    Example:
        >>> a = autograd.ones(2, 3)
        >>> (a @ autograd.ones(3, 4)).shape
        autograd.Size([2, 4])
        >>> (autograd.ones(5, 2, 3) @ autograd.ones(3)).shape
        autograd.Size([5, 2])
    """
    a, b = _tensor(input, "matmul"), _tensor(other, "matmul")
    _check_matmul(a, b)
    return _matmul_op(a.ndim, b.ndim).apply(a, b)


_xp.define("matmul", numpy=_matmul_arrays, tensor=matmul)


class Addmm(Op):
    """``F.linear``'s common case as one op: ``x @ w.T + b`` for a matrix ``x`` (F.linear
    views a stack of rows ``(..., in)`` as one matrix first), a weight matrix ``w`` and a bias
    vector ``b`` of one float dtype (torch records this case as one ``addmm`` too, grad_fn
    ``AddmmBackward0``). One graph node instead of the three of
    ``matmul(x, w.t()) + b`` (transpose, matmul, add), with the same arithmetic in the same
    order on the same array layouts, so values and gradients are bit-identical to that
    composition (nn/functional/_linear.py takes it for every other case).
    VJP: grad_x = g @ w, grad_w = g^T @ x (the matmul VJP for the transposed weight
    ``w.t()``, ``(g^T @ x)^T``, then the transpose's: a fresh row-major array, which becomes
    ``w.grad`` without a copy), grad_b = g summed over the rows (the broadcast's VJP)."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.b_shape = b.shape
        ctx.save_for_backward(x, w)
        out = _matmul_arrays(x, w.T)
        # (a new array: adding in place gives the values of ``out + b``)
        K = _dispatch.kernels("linear", out, b)
        if K is not None:
            K.add_rows_(out, b)
        else:
            out += b
        return out

    @staticmethod
    def backward(ctx, g, xp):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = xp.matmul(g, w) if need_x else None
        gw = xp.matmul(xp.transpose(g, -1, -2), x) if need_w else None
        gb = xp.sum_to(g, ctx.b_shape) if need_b else None
        return gx, gw, gb


def linear_as_addmm(input, weight, bias) -> bool:
    """Whether ``F.linear(input, weight, bias)`` is recorded as one ``Addmm``: a matrix of
    rows (or a stack of them, ``(..., in)``, viewed as one matrix as torch does), a weight
    matrix and a bias vector that fit, of one float dtype (bfloat16 ops compute in float32
    and round after each op, so the composition rounds twice), outside forward AD (the
    composition's tangent rules) and outside ``autograd.compile``'s tracing (it records the
    composition, whose bias add its plan fuses with the elementwise ops after it)."""
    return (
        isinstance(bias, Tensor)
        and isinstance(input, Tensor)
        and input._data.ndim >= 2
        and weight._data.ndim == 2
        and bias._data.shape == weight._data.shape[:1]
        and input._data.shape[-1] == weight._data.shape[1]
        and input._data.dtype == weight._data.dtype == bias._data.dtype
        and input._data.dtype in _ADDMM_DTYPES
        and _function._fw_level is None
        and _function._tracer is None
    )


_ADDMM_DTYPES = frozenset(np.dtype(t) for t in ("float16", "float32", "float64"))


@_amp.lower_precision
def mm(input, mat2) -> Tensor:
    """Product of two matrices (2-D only; no broadcasting).

    Example:
        >>> autograd.mm(autograd.ones(2, 3), autograd.ones(3, 1))
        tensor([[3.],
                [3.]])
    """
    a, b = _tensor(input, "mm"), _tensor(mat2, "mm")
    if a.ndim != 2:
        raise ShapeError("self must be a matrix")
    if b.ndim != 2:
        raise ShapeError("mat2 must be a matrix")
    _check_matmul(a, b)
    return Mm.apply(a, b)


@_amp.lower_precision
def bmm(input, mat2) -> Tensor:
    """Batched matrix product of two 3-D tensors with the same batch size (no broadcasting).

    Example:
        >>> autograd.bmm(autograd.ones(4, 2, 3), autograd.ones(4, 3, 5)).shape
        autograd.Size([4, 2, 5])
    """
    a, b = _tensor(input, "bmm"), _tensor(mat2, "bmm")
    if a.ndim != 3:
        raise ShapeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise ShapeError("batch2 must be a 3D tensor")
    _same_dtype(a, b, "expected scalar type {0} but found {1}")
    if (b.shape[0], b.shape[1]) != (a.shape[0], a.shape[2]):
        raise ShapeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]."
        )
    return Bmm.apply(a, b)


def mv(input, vec) -> Tensor:
    """Matrix-vector product: (n, m) @ (m,) -> (n,).

    Example:
        >>> autograd.mv(autograd.ones(2, 3), autograd.tensor([1.0, 2.0, 3.0]))
        tensor([6., 6.])
    """
    a, v = _tensor(input, "mv"), _tensor(vec, "mv")
    if a.ndim != 2 or v.ndim != 1:
        raise ShapeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    _same_dtype(a, v, "addmv input tensors must have the same dtype, but got {1}, {0}, and {1}")
    if a.shape[1] != v.shape[0]:
        raise ShapeError(
            f"size mismatch, got input ({a.shape[0]}), mat ({_x(a.shape)}), vec ({v.shape[0]})"
        )
    return Mv.apply(a, v)


def dot(input, tensor) -> Tensor:
    """Dot product of two 1-D tensors of the same size and dtype.

    Example:
        >>> autograd.dot(autograd.tensor([1.0, 2.0]), autograd.tensor([3.0, 4.0]))
        tensor(11.)
    """
    a, b = _tensor(input, "dot"), _tensor(tensor, "dot")
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    _same_dtype(a, b, "dot : expected both vectors to have same dtype, but found {0} and {1}")
    _check_matmul(a, b)
    return Dot.apply(a, b)


vdot = dot  # real tensors only: vdot == dot


def _mm_samples(rng):
    n = rng.normal
    return [
        Sample(n(size=(2, 3)), n(size=(3, 4))),
        Sample(n(size=(3, 1)), n(size=(1, 2))),
        Sample(n(size=(0, 3)), n(size=(3, 2))),
        Sample(n(size=(2, 0)), n(size=(0, 3))),
    ]


def _matmul_samples(rng):
    n = rng.normal
    return _mm_samples(rng) + [
        Sample(n(size=(4,)), n(size=(4,))),  # dot
        Sample(n(size=(3,)), n(size=(3, 2))),  # vector @ matrix
        Sample(n(size=(2, 3)), n(size=(3,))),  # matrix @ vector
        Sample(n(size=(2, 2, 3)), n(size=(2, 3, 4))),  # batched
        Sample(n(size=(2, 1, 2, 3)), n(size=(3, 3, 2))),  # batch dims broadcast both ways
        Sample(n(size=(3,)), n(size=(2, 3, 2))),  # vector @ batch
        Sample(n(size=(2, 2, 3)), n(size=(3,))),  # batch @ vector
        Sample(n(size=(2, 3)), n(size=(2, 3, 2))),  # matrix @ batch
        Sample(n(size=(0,)), n(size=(0,))),
    ]  # empty dot


register(OpInfo("matmul", matmul, ref=np.matmul, samples=_matmul_samples, family="linalg"))
register(OpInfo("mm", mm, ref=np.matmul, samples=_mm_samples, family="linalg"))


def _register_products(rows):
    """The entries of products of two tensors, one ``(name, function, NumPy reference, the
    shapes of its samples' two tensors)`` row each."""
    for name, fn, ref, shapes in rows:
        samples = shaped_samples(normal, *shapes, arrays=2)
        register(OpInfo(name, fn, ref=ref, family="linalg", samples=samples))


_register_products(
    [
        (
            "bmm",
            bmm,
            np.matmul,
            [((2, 2, 3), (2, 3, 4)), ((0, 2, 3), (0, 3, 1)), ((3, 1, 2), (3, 2, 1))],
        ),
        ("mv", mv, np.matmul, [((2, 3), (3,)), ((0, 3), (3,))]),
        ("dot", dot, np.dot, [((5,), (5,)), ((0,), (0,))]),
        ("vdot", vdot, np.vdot, [((3,), (3,))]),
    ]
)


# ---- einsum -------------------------------------------------------------------------------
class Einsum(Op):
    """``np.einsum`` on an explicit equation (no ellipsis, no broadcasting: the public
    function resolves both). The VJP for operand i is an einsum of the output gradient with
    the other operands, producing operand i's subscripts. Two helpers make that always
    expressible: an identity matrix for a repeated subscript (a diagonal, ``'ii->i'``) and
    a vector of ones for a subscript summed away in operand i alone (``'ij->i'``)."""

    jvp = staticmethod(multilinear_jvp)

    @staticmethod
    def forward(ctx, *arrays, specs, out):
        ctx.specs, ctx.out, ctx.shapes = specs, out, [a.shape for a in arrays]
        ctx.save_for_backward(*arrays)
        eq = ",".join(specs) + "->" + out
        res = np.asarray(np.einsum(eq, *arrays, optimize=len(arrays) > 2))
        # one operand: NumPy may return a (read-only) view of it ('ij->ji', 'ii->i'); the
        # result must own its memory so in-place ops on it cannot touch the input
        return res.copy() if len(arrays) == 1 else res

    @staticmethod
    def backward(ctx, g, xp):
        ops = ctx.saved_tensors
        specs, out, shapes = ctx.specs, ctx.out, ctx.shapes
        used = set("".join(specs) + out)
        fresh = iter(c for c in string.ascii_letters if c not in used)
        grads = []
        for i, spec in enumerate(specs):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            in_specs, in_ops = [out], [g]
            for j, s in enumerate(specs):
                if j != i:
                    in_specs.append(s)
                    in_ops.append(ops[j])
            target, seen = [], set()
            for c, n in zip(spec, shapes[i]):
                if c in seen:  # repeated subscript: a new one, tied to c by an identity
                    f = next(fresh)
                    in_specs.append(c + f)
                    in_ops.append(xp.asarray(np.eye(n, dtype=_dtype_of(g))))
                    target.append(f)
                else:
                    seen.add(c)
                    target.append(c)
            available = set("".join(in_specs))
            for c, n in zip(spec, shapes[i]):
                if c not in available:  # summed in operand i alone: broadcast back with ones
                    in_specs.append(c)
                    in_ops.append(xp.asarray(np.ones(n, dtype=_dtype_of(g))))
                    available.add(c)
            eq = ",".join(in_specs) + "->" + "".join(target)
            grads.append(xp.einsum(eq, *in_ops))
        return tuple(grads)


def _dtype_of(g):
    return g._data.dtype if isinstance(g, Tensor) else g.dtype


def _parse_einsum(equation: str, shapes):
    """Explicit (specs, out) for ``equation``: ellipses replaced by letters, implicit output
    made explicit (subscripts used once, in alphabetical order, after the ellipsis dims)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    specs = lhs.split(",")
    if len(specs) > len(shapes):
        raise ValueError("einsum(): fewer operands were provided than specified in the equation")
    if len(specs) < len(shapes):
        raise ValueError("einsum(): more operands were provided than specified in the equation")
    for s in specs + [rhs]:
        bad = set(s.replace("...", "")) - set(string.ascii_letters)
        if bad or s.replace("...", "").count(".") or s.count("...") > 1:
            raise ValueError(
                f"einsum(): invalid subscript given at index {eq.index(s)} in the "
                f"equation string, subscripts must be in [a-zA-Z]"
            )
    free = [c for c in string.ascii_letters if c not in eq]
    n_ell = 0
    for s, shape in zip(specs, shapes):
        n = len(s.replace("...", ""))
        if "..." in s:
            if n > len(shape):
                raise ShapeError(
                    f"einsum(): the number of subscripts in the equation ({n}) is "
                    f"more than the number of dimensions ({len(shape)}) for operand "
                    f"{specs.index(s)}"
                )
            n_ell = max(n_ell, len(shape) - n)
        elif n != len(shape):
            raise ShapeError(
                f"einsum(): the number of subscripts in the equation ({n}) does not "
                f"match the number of dimensions ({len(shape)}) for operand "
                f"{specs.index(s)} and no ellipsis was given"
            )
    ell = "".join(free[:n_ell])
    full = []
    for s, shape in zip(specs, shapes):
        if "..." in s:
            k = len(shape) - len(s.replace("...", ""))
            s = s.replace("...", ell[n_ell - k :] if k else "")
        full.append(s)
    if arrow:
        out = rhs.replace("...", ell)
        for c in out:
            if c not in "".join(full):
                raise ValueError(
                    f"einsum(): output subscript {c} does not appear in the equation "
                    "for any input operand"
                )
        if len(set(out)) != len(out):
            raise ValueError("einsum(): output subscript appears more than once in the output")
    else:
        letters = "".join(specs).replace("...", "")
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return full, out


@_amp._autocast_op(_amp.einsum_policy)
def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. ``'ij,jk->ik'`` (matmul), ``'bij,bjk->bik'``, ``'ii->i'``
    (diagonal), ``'...ij->...ji'``; without ``->`` the output is the subscripts used once,
    in alphabetical order. Size-1 dimensions broadcast. Operands may also be given as one list.

    Example:
        >>> a, b = autograd.ones(2, 3), autograd.ones(3, 4)
        >>> autograd.einsum("ij,jk->ik", a, b).shape
        autograd.Size([2, 4])
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [_tensor(o, "einsum") for o in operands]
    if not ts:
        raise ValueError("einsum(): must provide at least one operand")
    for t in ts[1:]:
        if t._data.dtype != ts[0]._data.dtype:
            raise DTypeError(
                f"expected scalar type {_name(ts[0], _TORCH_NAMES)} but found "
                f"{_name(t, _TORCH_NAMES)}"
            )
    specs, out = _parse_einsum(equation, [t._data.shape for t in ts])
    # sizes per subscript: equal, or 1 (broadcast through the differentiable expand)
    size = {}
    for i, (s, t) in enumerate(zip(specs, ts)):
        for c, n in zip(s, t._data.shape):
            if size.get(c, 1) == 1:
                size[c] = n
            elif n != 1 and n != size[c]:
                raise ShapeError(
                    f"einsum(): subscript {c} has size {n} for operand {i} which "
                    f"does not broadcast with previously seen size {size[c]}"
                )
    expanded = []
    for s, t in zip(specs, ts):
        target = tuple(size[c] for c in s)
        if target != t._data.shape:
            if len(set(s)) != len(s):
                raise ShapeError("einsum(): a repeated subscript cannot broadcast")
            from .movement import expand

            t = expand(t, target) if tracked(t) else Tensor._make(np.broadcast_to(t._data, target))
        expanded.append(t)
    return Einsum.apply(*expanded, specs=tuple(specs), out=out)


_xp.define("einsum", numpy=lambda eq, *ops: np.asarray(np.einsum(eq, *ops)), tensor=einsum)


def _einsum_samples(rng):
    n = rng.normal
    return [
        Sample("ij,jk->ik", n(size=(2, 3)), n(size=(3, 4))),
        Sample("ij,jk", n(size=(2, 3)), n(size=(3, 4))),
        Sample("bij,bjk->bik", n(size=(2, 2, 3)), n(size=(2, 3, 2))),
        Sample("ii->i", n(size=(3, 3))),
        Sample("ii", n(size=(3, 3))),
        Sample("ij->", n(size=(2, 3))),
        Sample("ij->j", n(size=(2, 3))),
        Sample("i,j->ij", n(size=(3,)), n(size=(2,))),
        Sample("...ij,...jk->...ik", n(size=(2, 2, 3)), n(size=(3, 2))),
        Sample("...ij->...ji", n(size=(2, 1, 3))),
        Sample("bn,anm,bm->ba", n(size=(2, 3)), n(size=(4, 3, 2)), n(size=(2, 2))),
        Sample("i,i->", n(size=(0,)), n(size=(0,))),
        Sample("ij,ij->ij", n(size=(2, 1)), n(size=(2, 3))),  # size-1 broadcast
        Sample("->", n(size=())),
    ]


register(
    OpInfo(
        "einsum",
        einsum,
        ref=lambda eq, *ops: np.einsum(eq, *ops),
        samples=_einsum_samples,
        method=False,
        family="linalg",
    )
)


# ---- tensordot / inner / outer ------------------------------------------------------------
@_amp.lower_precision
def tensordot(a, b, dims=2) -> Tensor:
    """Sum products over ``dims``: an int n (last n dims of ``a`` with first n of ``b``) or
    a pair of dim lists.

    Example:
        >>> autograd.tensordot(autograd.ones(2, 3, 4), autograd.ones(3, 4, 5)).shape
        autograd.Size([2, 5])
    """
    a, b = _tensor(a, "tensordot"), _tensor(b, "tensordot")
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
        shown = [d - a.ndim for d in da]  # torch names a's dims from the end here
    else:
        da, db = dims
        da = [da] if isinstance(da, (int, np.integer)) else list(da)
        db = [db] if isinstance(db, (int, np.integer)) else list(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
        shown = da
        da = [wrap_dim(d, a.ndim) for d in da]
        db = [wrap_dim(d, b.ndim) for d in db]
    for x, y, x_shown in zip(da, db, shown):
        if a.shape[x] != b.shape[y]:
            raise ShapeError(
                f"contracted dimensions need to match, but first has size "
                f"{a.shape[x]} in dim {x_shown} and second has size "
                f"{b.shape[y]} in dim {y}"
            )
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for x, y in zip(da, db):
        sb[y] = sa[x]
    out = [c for i, c in enumerate(sa) if i not in da] + [
        c for i, c in enumerate(sb) if i not in db
    ]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


@_amp.lower_precision
def inner(input, other) -> Tensor:
    """Sum of products over the last dimension (a scalar multiple when either is 0-d).

    Example:
        >>> autograd.inner(autograd.tensor([1.0, 2.0]), autograd.tensor([3.0, 4.0]))
        tensor(11.)
    """
    a, b = _tensor(input, "inner"), _tensor(other, "inner")
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ShapeError(
            f"inner() the last dimension must match on both input tensors but got "
            f"shapes {list(a.shape)} and {list(b.shape)}"
        )
    _same_dtype(a, b, "both inputs should have same dtype")
    return tensordot(a, b, ([-1], [-1]))


def outer(input, vec2) -> Tensor:
    """Outer product of two vectors: out[i, j] = input[i] * vec2[j].

    Example:
        >>> autograd.outer(autograd.tensor([1.0, 2.0]), autograd.tensor([1.0, 10.0]))
        tensor([[ 1., 10.],
                [ 2., 20.]])
    """
    a, b = _tensor(input, "outer"), _tensor(vec2, "outer")
    if a.ndim != 1:
        raise ShapeError(f"outer: Expected 1-D argument self, but got {a.ndim}-D")
    if b.ndim != 1:
        raise ShapeError(f"outer: Expected 1-D argument vec2, but got {b.ndim}-D")
    from .movement import reshape

    return reshape(a, (a.shape[0], 1)) * b  # broadcasting multiply, like torch


ger = outer

register(
    OpInfo(
        "tensordot",
        tensordot,
        ref=lambda a, b, dims=2: np.tensordot(a, b, dims),
        method=False,
        family="linalg",
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 3, 4)), rng.normal(size=(3, 4, 2))),
            Sample(rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), 1),
            Sample(rng.normal(size=(2, 3)), rng.normal(size=(4, 5)), 0),
            Sample(rng.normal(size=(3, 2, 4)), rng.normal(size=(4, 3)), dims=([0, -1], [1, 0])),
        ],
    )
)
_register_products(
    [
        (
            "inner",
            inner,
            np.inner,
            [((3,), (3,)), ((2, 3), (4, 3)), ((2, 2, 3), (3,)), ((), (2, 3))],
        ),
        ("outer", outer, np.outer, [((3,), (4,)), ((0,), (2,))]),
        ("ger", ger, np.outer, [((3,), (2,))]),
    ]
)


class LinAlgError(RuntimeError):
    """A matrix that the factorisation cannot handle (torch.linalg.LinAlgError)."""
