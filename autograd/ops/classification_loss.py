"""Classification losses with ``reduction`` = 'mean' | 'sum' | 'none' (torch.nn.functional
names): nll_loss, cross_entropy, binary_cross_entropy, binary_cross_entropy_with_logits.

``cross_entropy`` is composed from ``log_softmax`` and ``nll_loss``; with the numba backend,
class-index targets take ``CrossEntropyFused`` (one kernel pass over the logits forward, one
backward; the composed path stays the reference). ``binary_cross_entropy`` is a small fused
op so that probabilities of exactly 0 or 1 give torch's finite, clamped values and gradients.

The regression and likelihood losses and the shared ``reduction`` helpers are in ``loss.py``.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import dispatch
from .. import dtypes as _dt
from ..errors import DTypeError, ShapeError
from ..function import Op
from ..forward_ad import elementwise_jvp
from ..tensor import Tensor
from .activation import logsigmoid
from .softmax import log_softmax
from .compare import where
from .registry import Sample, register_functions
from ..dtypes import FLOAT_KINDS
from .. import amp as _amp
from .loss import _check_reduction, _pointwise_inputs, _reduce, _ref_reduce

__all__ = ["cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"]


# ---- classification --------------------------------------------------------------------
def _class_dim_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N, d1, ..., C) so classes are the last dim."""
    if x.dim() <= 2:
        return x
    return x.permute(0, *range(2, x.dim()), 1)


def _check_class_target(input: Tensor, target: Tensor, opname: str):
    if not isinstance(target, Tensor):
        raise TypeError(
            f"{opname}(): argument 'target' must be Tensor, not {type(target).__name__}"
        )
    shape, t_shape = input._data.shape, target._data.shape  # (plain tuples: run every step)
    nd, t_nd = len(shape), len(t_shape)
    if nd == 0:
        raise ShapeError(
            f"{opname}: input must have at least 1 dimension (classes), got a 0-d tensor"
        )
    if nd >= 2 and t_nd >= 1 and shape[0] != t_shape[0] and t_nd == nd - 1:
        raise ValueError(
            f"Expected input batch_size ({shape[0]}) to match target batch_size ({t_shape[0]})."
        )
    expected = shape[:1] + shape[2:] if nd >= 2 else ()
    if t_shape != expected:
        if nd >= 2 and t_nd >= 1 and shape[0] != t_shape[0]:
            raise ValueError(
                f"Expected input batch_size ({shape[0]}) to match target batch_size ({t_shape[0]})."
            )
        raise ShapeError(
            f"{opname}: expected target of shape {list(expected)} for input of shape "
            f"{list(input.shape)}, got {list(target.shape)}"
        )


def _check_target_dtype(target: Tensor):
    if target.dtype.is_floating_point or target.dtype == _dt.bool_:
        name = {"float32": "Float", "float64": "Double", "float16": "Half", "bool": "Bool"}.get(
            target.dtype.name if hasattr(target.dtype, "name") else str(target.dtype),
            str(target.dtype),
        )
        raise DTypeError(f"expected target dtype to be Long or Byte, but got {name}")


def _check_class_weight(weight, C: int, opname: str):
    if weight is not None and weight.shape != (C,):
        raise ShapeError(
            f"{opname}: weight tensor should be defined either for all {C} classes "
            f"or no classes but got weight tensor of shape: {list(weight.shape)}"
        )


def _class_target_arrays(target, C: int, weight, ignore_index: int, dtype):
    """Checked class indices from arrays (targets, class weights or None): (int64 targets,
    ignored mask, targets with ignored set to 0, class weights as a ``dtype`` array, each
    sample's weight (0 where ignored)); raises torch's IndexError for a target out of range."""
    t = target.astype(np.int64)
    ignored = t == ignore_index
    bad = (~ignored) & ((t < 0) | (t >= C))
    if bad.any():
        raise IndexError(f"Target {int(t[bad].flat[0])} is out of bounds.")
    safe = np.where(ignored, 0, t)
    w_np = weight.astype(dtype) if weight is not None else np.ones(C, dtype=dtype)
    # weight of each sample's true class (0 where ignored): a constant
    sample_w = np.where(ignored, 0.0, w_np[safe]).astype(dtype)
    return t, ignored, safe, w_np, sample_w


class _TargetArray(Op):
    """An array derived from class targets: ``which`` is "index" (the class to gather, 0
    where ignored), "keep" (not ignored), "weight" (each sample's weight, 0 where ignored) or
    "total" (the sum of those weights). Computed in a forward, from the target tensor, so
    that a compiled replay derives it from each call's own targets (docs/compile.md)."""

    differentiable = False

    @staticmethod
    def forward(ctx, target, weight, C, ignore_index, dtype, which):
        _, ignored, safe, _, sample_w = _class_target_arrays(target, C, weight, ignore_index, dtype)
        if which == "index":
            return safe
        if which == "keep":
            return ~ignored
        if which == "weight":
            return sample_w
        return np.asarray(float(sample_w.sum()), dtype=dtype)


def _nll_from_logp(
    logp: Tensor,
    target: Tensor,
    weight,
    ignore_index: int,
    reduction: str,
    label_smoothing: float = 0.0,
    opname: str = "nll_loss",
) -> Tensor:
    """Shared by nll_loss and cross_entropy with class-index targets (logp has classes at dim 1)."""
    C = logp.shape[1] if logp.dim() >= 2 else logp.shape[0]
    _check_target_dtype(target)
    _check_class_weight(weight, C, opname)
    dtype = logp._data.dtype

    def targets(which):
        return _TargetArray.apply(
            target, weight, C=C, ignore_index=ignore_index, dtype=dtype, which=which
        )

    safe, keep, sample_w = targets("index"), targets("keep"), targets("weight")
    if logp.dim() == 1:
        lp = logp.unsqueeze(0)
        safe, keep, sample_w = safe.reshape(1), keep.reshape(1), sample_w.reshape(1)
    else:
        lp = _class_dim_last(logp)
    # logp of the true class by a gather (not a one-hot product: -inf log-probabilities of
    # other classes would give -inf * 0 = nan, and the one-hot costs a pass over (R, C));
    # ignored rows are set to 0 so that their -inf cannot make nan either (torch gives 0)
    picked = lp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    picked = where(keep, picked, 0.0)
    nll = -picked * sample_w
    if logp.dim() == 1:
        nll, keep = nll.reshape(()), keep.reshape(())
    if label_smoothing > 0:
        w_row = Tensor._make(np.ones(C, dtype)) if weight is None else weight.to(lp.dtype)
        smooth = where(keep, -(lp * w_row).sum(-1).reshape(nll.shape), 0.0)  # (unbatched: ())
    if reduction == "none":
        out = nll
        if label_smoothing > 0:
            out = (1 - label_smoothing) * nll + (label_smoothing / C) * smooth
        return out
    if reduction == "sum":
        out = nll.sum()
        if label_smoothing > 0:
            out = (1 - label_smoothing) * out + (label_smoothing / C) * smooth.sum()
        return out
    if reduction != "mean":
        raise ValueError(f"{reduction} is not a valid value for reduction")
    # torch: weighted mean = sum / sum of the true classes' weights (nan if all ignored)
    denom = targets("total")
    out = nll.sum() / denom
    if label_smoothing > 0:
        out = (1 - label_smoothing) * out + (label_smoothing / C) * (smooth.sum() / denom)
    return out


# ---- fused cross-entropy (numba backend) -------------------------------------------------
class CrossEntropyFused(Op):
    """log_softmax + nll_loss (+ label smoothing, class weights, ignore_index, reduction) of
    logits (N, C), (C,) or (N, C, d1, ...) against class indices, as one kernel pass over the
    logits (autograd/kernels/softmax.py). The forward keeps the softmax for the backward,
    which is then one more pass: ``scale * (a * softmax - b * onehot - k * weight)`` per row.
    Logits with extra dims are first copied class-last, (N * d1 * ..., C): one more pass,
    still far fewer than the composed ops.

    The composed path in ``cross_entropy`` (log_softmax, then ``_nll_from_logp``) is the
    reference. With ``create_graph=True``, or when the backward runs on the numpy backend,
    the same gradient is written with ``xp`` ops on the saved logits, so it is
    differentiable again.
    """

    grad_fn_name = "NllLossBackward0"  # torch's name for the last node of cross_entropy

    @staticmethod
    def jvp(ctx, tangents, xp):
        # each loss depends on one row of logits (along dim 1): the VJP of ones gives every
        # d loss / d logit, and the JVP sums them times the tangent over that row (over
        # everything for a reduced loss). The targets and class weights carry no derivative.
        t = tangents[0]
        if t is None:
            return None
        out = ctx.output
        weights = CrossEntropyFused.backward(ctx, xp.ones_like(out), xp)
        dims = tuple(range(len(t.shape))) if len(out.shape) == 0 else (1,)
        return xp.sum(weights * t, dims, False)

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, smoothing, kernels):
        # x: logits; target: class indices; weight: class weights (no gradient) or None. The
        # targets are read here, in the forward, so a compiled replay reads each call's own.
        C = x.shape[1] if x.ndim >= 2 else x.shape[0]
        rows = np.moveaxis(x, 1, -1) if x.ndim >= 3 else x  # classes last (a view)
        rows = rows.reshape(-1, C)
        loss = None
        if weight is None and target.dtype is _INT64 and target.size:
            # the common case: int64 targets, no class weights; the kernel checks the targets
            # as it goes (``bad``: some are out of range; the general path below raises)
            t, ones = target, _ones(C)
            loss, prob, bad, ignored = kernels.cross_entropy_checked(
                rows, t.reshape(-1), ones, ignore_index, smoothing
            )
            if bad:
                loss = None
            else:
                weight, total_w = ones, float(t.size - ignored)
        if loss is None:
            fast = _unweighted_targets(target, C, ignore_index) if weight is None else None
            if fast is not None:
                t, total_w = fast
                weight = _ones(C)
            else:
                t, _, _, w_np, sample_w = _class_target_arrays(
                    target, C, weight, ignore_index, x.dtype
                )
                weight, total_w = w_np.astype(np.float64), float(sample_w.sum())
            loss, prob = kernels.cross_entropy(rows, t.reshape(-1), weight, ignore_index, smoothing)
        ctx.save_for_backward(x)
        ctx.prob, ctx.target, ctx.weight = prob, t, weight
        ctx.ignore_index, ctx.reduction, ctx.smoothing, ctx.total_w = (
            ignore_index,
            reduction,
            smoothing,
            total_w,
        )
        if reduction == "none":
            return loss.astype(x.dtype).reshape(target.shape)
        total = np.add.reduce(loss)  # (= loss.sum(), without the method's wrapper)
        if reduction == "mean":  # weighted mean; nan (0 / 0) when every target is ignored
            total = total / np.float64(total_w)
        return np.asarray(total, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g, xp):
        prob, w = ctx.prob, ctx.weight
        t = ctx.target.reshape(-1)
        R, C = prob.shape
        (x,) = ctx.saved_tensors
        ndim = len(x.shape)
        # the class-last layout of x (N, d1, ..., C), and the permutation back to x's
        last_shape = (x.shape[:1] + x.shape[2:] + x.shape[1:2]) if ndim >= 3 else x.shape
        back = (0, ndim - 1) + tuple(range(1, ndim - 1)) if ndim >= 3 else None
        kernels = None if xp.graph else dispatch.kernels("softmax", prob)
        if kernels is not None:
            if ctx.reduction == "none":
                scale = np.asarray(g, np.float64).reshape(R)
            else:  # (np.full's work, without its wrapper: this runs at every step)
                scale = np.empty(R)
                scale.fill(float(g) / (np.float64(ctx.total_w) if ctx.reduction == "mean" else 1.0))
            out = kernels.cross_entropy_backward(prob, t, w, ctx.ignore_index, ctx.smoothing, scale)
            if ndim == 2:  # (a batch of rows: already x's layout)
                return out
            out = out.reshape(last_shape)
            return out.transpose(back) if ndim >= 3 else out
        # the same gradient from differentiable ops on the saved logits
        dt = prob.dtype
        ls = ctx.smoothing
        keep = t != ctx.ignore_index
        safe = np.where(keep, t, 0)
        w_t = np.where(keep, w[safe], 0.0)  # each row's true-class weight
        a = (1 - ls) * w_t + (ls / C) * w.sum() * keep  # coefficient of softmax
        b = (ls / C) * keep[:, None] * w[None, :]  # constant part ...
        b[np.arange(R), safe] += (1 - ls) * w_t  # ... plus the one-hot
        p = xp.exp(xp.log_softmax(x, 1 if ndim >= 2 else 0))
        if ndim >= 3:
            p = xp.permute(p, (0,) + tuple(range(2, ndim)) + (1,))
        p = p.reshape((R, C))
        gcol = g.reshape((R, 1)) if ctx.reduction == "none" else g.reshape((1, 1))
        if ctx.reduction == "mean":
            gcol = gcol / xp.asarray(np.asarray(ctx.total_w, dt))
        grad = gcol * (p * xp.asarray(a[:, None].astype(dt)) - xp.asarray(b.astype(dt)))
        grad = grad.reshape(last_shape)
        return xp.permute(grad, back) if ndim >= 3 else grad


def _fused_cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing):
    """The one-pass cross-entropy when it applies: numba backend, float32/float64 logits,
    integer class targets, a weight without gradient. None otherwise (the composed path then
    runs, and raises the errors for unusual inputs)."""
    if not isinstance(input, Tensor):
        return None
    kernels = dispatch.kernels("softmax", input._data)
    if kernels is None:
        return None
    if target.dtype.is_floating_point or target.dtype == _dt.bool_:
        return None
    if weight is not None and (not isinstance(weight, Tensor) or weight.requires_grad):
        return None
    _check_class_target(input, target, "cross_entropy")
    shape = input._data.shape
    C = shape[1] if len(shape) >= 2 else shape[0]
    _check_class_weight(weight, C, "cross_entropy")
    return CrossEntropyFused.apply(
        input,
        target,
        weight,
        ignore_index=int(ignore_index),
        reduction=reduction,
        smoothing=float(label_smoothing),
        kernels=kernels,
    )


_INT64 = np.dtype(np.int64)


@functools.lru_cache(maxsize=64)
def _ones(C: int) -> np.ndarray:
    """The float64 class weights of an unweighted loss over ``C`` classes, made once per
    ``C`` (read-only: the kernels and the VJP only read them)."""
    w = np.ones(C)
    w.flags.writeable = False
    return w


def _unweighted_targets(t, C, ignore_index):
    """(int64 targets, total weight) without class weights, when every target is a valid
    class index: a few cheap whole-array calls instead of ``_class_target_arrays``' masks, which
    cost more than the kernels on small batches (bench/README.md, "Figures behind the code").
    None otherwise (ignored
    or out-of-range targets), and ``_class_target_arrays`` then checks and raises as usual."""
    if t.size == 0 or t.dtype.kind not in "iu":
        return None
    t = t.astype(np.int64, copy=False)
    # One reduction checks both ends: read as uint64, a negative target is at least 2**63,
    # so ``max < C`` holds exactly when ``0 <= t < C`` everywhere. (Only after the cast to
    # int64: as uint8, an int8 -1 would read as 255, a valid class when C > 255.)
    if t.view(np.uint64).max() >= C:
        return None
    ignored = np.count_nonzero(t == ignore_index) if 0 <= ignore_index < C else 0
    return t, float(t.size - ignored)


@_amp.float32_precision
def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (N, C, ...) at class indices.

    Example:
        >>> logp = autograd.log(autograd.tensor([[0.5, 0.5], [0.9, 0.1]]))
        >>> round(F.nll_loss(logp, autograd.tensor([0, 0])).item(), 4)
        0.3993
    """
    _check_reduction(reduction)
    _check_class_target(input, target, "nll_loss")
    return _nll_from_logp(input, target, weight, ignore_index, reduction, 0.0, "nll_loss")


@_amp.float32_precision
def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy of unnormalised logits ``input`` (N, C, ...) against class indices
    (int tensor of shape (N, ...)) or class probabilities (float, same shape as input).

    Stable for any logits (uses log_softmax). Example:
        >>> F.cross_entropy(autograd.tensor([[1000.0, -1000.0]]), autograd.tensor([0]))
        tensor(0.)
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if not isinstance(target, Tensor):
        raise TypeError(
            f"cross_entropy(): argument 'target' must be Tensor, not {type(target).__name__}"
        )
    fused = _fused_cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)
    if fused is not None:
        return fused
    class_dim = 1 if input.dim() >= 2 else 0
    logp = log_softmax(input, class_dim)
    if target.dtype.is_floating_point and target.shape == input.shape:
        # class probabilities
        C = input.shape[class_dim]
        probs = target.to(input.dtype)
        if label_smoothing > 0:
            probs = probs * (1 - label_smoothing) + label_smoothing / C
        terms = logp * probs
        if weight is not None:
            shape = [1] * input.dim()
            shape[class_dim] = C
            terms = terms * weight.reshape(shape)
        loss = -terms.sum(class_dim)
        if reduction == "mean":
            n = loss.numel()
            return loss.sum() / n if n else loss.sum() * float("nan")
        return _reduce(loss, reduction)
    if target.dtype.is_floating_point:
        if input.dim() >= 2 and target.dim() >= 1 and target.shape[0] != input.shape[0]:
            raise ValueError(
                f"Expected input batch_size ({input.shape[0]}) to match target "
                f"batch_size ({target.shape[0]})."
            )
        _nll_from_logp(logp, target, weight, ignore_index, reduction)  # raises the dtype error
    _check_class_target(input, target, "cross_entropy")
    return _nll_from_logp(
        logp, target, weight, ignore_index, reduction, label_smoothing, "cross_entropy"
    )


# ---- binary ----------------------------------------------------------------------------
class BinaryCrossEntropy(Op):
    """-(y log x + (1-y) log(1-x)) with logs clamped at -100 (torch), elementwise.

    d/dx = (x - y) / max(x (1 - x), 1e-12): finite even at x = 0 or 1.
    """

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x, y):
        if x.size and (np.any(x < 0) or np.any(x > 1) or np.any(np.isnan(x))):
            raise RuntimeError("all elements of input should be between 0 and 1")
        if y.size and not np.all((y >= 0) & (y <= 1)):  # (nan too, as in torch)
            raise RuntimeError("all elements of target should be between 0 and 1")
        ctx.save_for_backward(x, y)
        log_x = np.maximum(np.log(x), -100.0)
        log_1mx = np.maximum(np.log1p(-x), -100.0)
        return -(y * log_x + (1 - y) * log_1mx)

    @staticmethod
    def backward(ctx, g, xp):
        x, y = ctx.saved_tensors
        denom = xp.maximum(x * (1 - x), xp.asarray(np.asarray(1e-12, dtype=_dtype_of(x))))
        gx = g * (x - y) / denom if ctx.needs_input_grad[0] else None
        gy = None
        if ctx.needs_input_grad[1]:
            gy = g * (
                xp.maximum(xp.log1p(-x), xp.asarray(np.asarray(-100.0, dtype=_dtype_of(x))))
                - xp.maximum(xp.log(x), xp.asarray(np.asarray(-100.0, dtype=_dtype_of(x))))
            )
        return gx, gy


def _dtype_of(a):
    return a._data.dtype if isinstance(a, Tensor) else a.dtype


@_amp.float32_precision
def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """BCE of probabilities ``input`` in [0, 1]; logs are clamped at -100 like torch.

    Example:
        >>> F.binary_cross_entropy(autograd.tensor([0.0, 1.0]), autograd.tensor([0.0, 1.0]))
        tensor(0.)
    """
    _check_reduction(reduction)
    target = _pointwise_inputs(
        input,
        target,
        "binary_cross_entropy",
        "Using a target size ({target}) that is different to the input size ({input}) is "
        "deprecated. Please ensure they have the same size.",
    )
    loss = BinaryCrossEntropy.apply(input, target.to(input.dtype))  # (checks the range)
    return _reduce(loss, reduction, weight)


@_amp.float32_precision
def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """BCE on logits, stable for any logit: ``(1-y) x - (1 + (pw-1) y) logsigmoid(x)``.

    Example:
        >>> F.binary_cross_entropy_with_logits(autograd.tensor([1000.0]), autograd.tensor([1.0]))
        tensor(0.)
    """
    _check_reduction(reduction)
    target = _pointwise_inputs(
        input,
        target,
        "binary_cross_entropy_with_logits",
        "Target size ({target}) must be the same as input size ({input})",
    ).to(input.dtype)
    log_sig = logsigmoid(input)
    if pos_weight is not None:
        lw = 1 + (pos_weight - 1) * target
        loss = (1 - target) * input - lw * log_sig
    else:
        loss = (1 - target) * input - log_sig
    return _reduce(loss, reduction, weight)


# ---- registered ops (the generic tests check them like every other op) -------------------------
def _ref_log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _ref_nll_loss(
    logp,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """NumPy nll_loss (plus cross_entropy's label smoothing) in torch's definition."""
    unbatched = logp.ndim == 1
    lp = np.moveaxis(logp[None] if unbatched else logp, 1, -1)  # (N, ..., C)
    t = np.asarray(target).reshape(lp.shape[:-1])
    C = lp.shape[-1]
    w = np.ones(C) if weight is None else weight
    keep = t != ignore_index
    safe = np.where(keep, t, 0)
    sample_w = np.where(keep, w[safe], 0.0)
    loss = -np.take_along_axis(lp, safe[..., None], -1)[..., 0] * sample_w
    if label_smoothing:
        smooth = np.where(keep, -(lp * w).sum(-1), 0.0)
        loss = (1 - label_smoothing) * loss + label_smoothing / C * smooth
    if reduction == "none":
        return (loss.reshape(()) if unbatched else loss).astype(logp.dtype)
    total = loss.sum()
    return np.asarray(total / sample_w.sum() if reduction == "mean" else total, logp.dtype)


def _ref_cross_entropy(
    x,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    axis = 1 if x.ndim >= 2 else 0
    logp = _ref_log_softmax(x, axis)
    if target.dtype.kind in FLOAT_KINDS:  # class probabilities
        C = x.shape[axis]
        p = target * (1 - label_smoothing) + label_smoothing / C
        shape = [1] * x.ndim
        shape[axis] = C
        loss = -(logp * p * (1 if weight is None else weight.reshape(shape))).sum(axis)
        return _ref_reduce(loss, reduction, x.dtype)
    return _ref_nll_loss(
        logp,
        target,
        weight,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )


def _class_samples(rng, logits):
    """Samples of (logits or log-probabilities, class index target, ...) for nll_loss and
    cross_entropy: batched, unbatched, spatial (N, C, d), class weights, ignore_index,
    every reduction."""
    n = rng.normal
    x = logits

    def classes(shape, c):
        return rng.integers(0, c, shape)

    ignored = classes((6,), 3)
    ignored[[1, 4]] = 1
    return [
        Sample(x(n(size=(4, 5))), classes((4,), 5)),
        Sample(x(n(size=(3, 4, 2))), classes((3, 2), 4), reduction="sum"),
        Sample(x(n(size=(5,))), np.array(3), reduction="none"),
        Sample(x(n(size=(4, 3))), classes((4,), 3), rng.uniform(0.5, 2, (3,)), no_grad_args=(2,)),
        Sample(x(n(size=(6, 3))), ignored, ignore_index=1, reduction="none"),
        Sample(
            x(n(size=(6, 3))), ignored, rng.uniform(0.5, 2, (3,)), ignore_index=1, no_grad_args=(2,)
        ),
    ]


def _cross_entropy_samples(rng):
    n = rng.normal
    probs = np.exp(_ref_log_softmax(n(size=(3, 4)), 1))
    return _class_samples(rng, lambda a: a) + [
        Sample(n(size=(4, 5)), rng.integers(0, 5, (4,)), label_smoothing=0.1),
        Sample(
            n(size=(2, 3, 2)), rng.integers(0, 3, (2, 2)), reduction="none", label_smoothing=0.2
        ),
        Sample(n(size=(3, 4)), probs),  # class probabilities (differentiable in them too)
        Sample(np.array([[1000.0, -1000.0, 999.0]]), np.array([2])),
    ]  # huge logits


def _nll_samples(rng):
    return _class_samples(rng, lambda a: _ref_log_softmax(a, 1 if a.ndim >= 2 else 0))


def _bce_samples(rng):
    u = rng.uniform
    return [
        Sample(u(0.05, 0.95, (3, 4)), u(0, 1, (3, 4))),
        # (hard 0/1 targets sit on the edge of the target's domain, which finite differences
        # would step out of: torch refuses targets outside [0, 1]; sample 0 checks dy)
        Sample(
            u(0.05, 0.95, (5,)),
            rng.integers(0, 2, (5,)).astype(float),
            reduction="sum",
            no_grad_args=(1,),
        ),
        Sample(
            u(0.05, 0.95, (2, 3)),
            u(0, 1, (2, 3)),
            u(0.5, 2, (2, 3)),
            reduction="none",
            no_grad_args=(2,),
        ),
    ]


def _ref_bce(x, y, weight=None, size_average=None, reduce=None, reduction="mean"):
    loss = -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))
    if weight is not None:
        loss = loss * weight
    return _ref_reduce(loss, reduction, x.dtype)


def _ref_bce_with_logits(
    x, y, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    log_sig = -np.logaddexp(0, -x)  # log(sigmoid(x)), stable
    lw = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
    loss = (1 - y) * x - lw * log_sig
    return _ref_reduce(loss if weight is None else loss * weight, reduction, x.dtype)


def _bce_with_logits_samples(rng):
    n, u = rng.normal, rng.uniform
    return [
        Sample(n(size=(3, 4)), u(0, 1, (3, 4))),
        Sample(n(size=(5,)) * 5, rng.integers(0, 2, (5,)).astype(float), reduction="sum"),
        Sample(
            n(size=(2, 3)), u(0, 1, (2, 3)), u(0.5, 2, (2, 3)), reduction="none", no_grad_args=(2,)
        ),
        # pos_weight (the 7th argument) per class, broadcast over the batch; torch has no
        # gradient for it
        Sample(
            n(size=(3, 4)),
            u(0, 1, (3, 4)),
            None,
            None,
            None,
            "mean",
            u(0.5, 2, (4,)),
            no_grad_args=(6,),
        ),
    ]


register_functions(
    "classification_loss",
    [
        ("cross_entropy", cross_entropy, _ref_cross_entropy, _cross_entropy_samples),
        ("nll_loss", nll_loss, _ref_nll_loss, _nll_samples),
        ("binary_cross_entropy", binary_cross_entropy, _ref_bce, _bce_samples),
        (
            "binary_cross_entropy_with_logits",
            binary_cross_entropy_with_logits,
            _ref_bce_with_logits,
            _bce_with_logits_samples,
        ),
    ],
    namespace="nn.functional",
)
