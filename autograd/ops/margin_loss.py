"""Margin and embedding losses (``torch.nn.functional`` names): cosine_embedding_loss,
margin_ranking_loss, hinge_embedding_loss, soft_margin_loss, multilabel_soft_margin_loss,
multi_margin_loss, multilabel_margin_loss, triplet_margin_loss,
triplet_margin_with_distance_loss.

Each is composed of differentiable ops exactly as torch defines it (the same clamps, the same
``where`` selections), so values, gradients at the kinks and nan/inf behave like torch's;
integer targets (class indices) only select constants. ``reduction`` is 'mean' | 'sum' |
'none'; the legacy ``size_average`` / ``reduce`` arguments are translated as torch does.
"""

from __future__ import annotations

import numpy as np

from .. import amp as _amp
from ..errors import DTypeError, ShapeError, shape_str
from ..tensor import Tensor
from .activation import logsigmoid
from .compare import clamp_min, minimum, where
from .loss import _ref_reduce, legacy_reduction
from .registry import Sample, register_functions
from .samples import away_from

__all__ = [
    "cosine_embedding_loss",
    "hinge_embedding_loss",
    "margin_ranking_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _as_tensor(t, like: Tensor, name: str, opname: str) -> Tensor:
    if isinstance(t, Tensor):
        return t
    raise TypeError(f"{opname}(): argument '{name}' must be Tensor, not {type(t).__name__}")


def _zero(like: Tensor) -> Tensor:
    return Tensor._make(np.zeros((), like._data.dtype))


# ---- pairs: embeddings and rankings ------------------------------------------------------------
@_amp.float32_precision
def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(x1, x2)`` for target 1 (similar pairs), ``max(0, cos(x1, x2) - margin)`` for
    target -1 (dissimilar pairs); cos over dim 1 of (N, D) inputs (or of (D,) inputs with a
    0-d target).

    Example:
        >>> x = autograd.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> F.cosine_embedding_loss(x, x, autograd.tensor([1.0, -1.0]), reduction="none")
        tensor([0., 1.])
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_tensor(target, input1, "target", "cosine_embedding_loss")
    d = target.ndim
    if d not in (0, 1):
        raise ShapeError("0D or 1D target tensor expected, multi-target not supported")
    if (input1.ndim, input2.ndim) != (d + 1, d + 1):
        raise ShapeError(
            f"{d}D target tensor expects {d + 1}D input tensors, but found inputs "
            f"with sizes {shape_str(input1.shape)} and {shape_str(input2.shape)}."
        )
    eps = 1e-12  # torch's EPSILON on the squared norms
    prod = (input1 * input2).sum(d)
    mag = ((input1 * input1).sum(d) + eps) * ((input2 * input2).sum(d) + eps)
    cos = prod / mag.sqrt()
    zero = _zero(cos)
    loss = where(target == 1, 1 - cos, zero) + where(target == -1, clamp_min(cos - margin, 0), zero)
    return _reduce(loss, reduction)


@_amp.float32_precision
def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``: target y = 1 wants x1 ranked above x2, y = -1 below.

    Example:
        >>> F.margin_ranking_loss(autograd.tensor([2.0, 0.0]), autograd.tensor([1.0, 1.0]),
        ...                       autograd.tensor([1.0, 1.0]), reduction="none")
        tensor([0., 1.])
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_tensor(target, input1, "target", "margin_ranking_loss")
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise ShapeError(
            f"margin_ranking_loss : All input tensors should have same dimension but "
            f"got sizes: input1: {input1.shape!r}, input2: {input2.shape!r}, "
            f"target: {target.shape!r} "
        )
    return _reduce(clamp_min(-target * (input1 - input2) + margin, 0), reduction)


@_amp.float32_precision
def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``x`` where target is 1, ``max(0, margin - x)`` where target is -1 (x is a distance:
    small for similar pairs).

    Example:
        >>> F.hinge_embedding_loss(autograd.tensor([0.5, 2.0]), autograd.tensor([1, -1]),
        ...                        reduction="none")
        tensor([0.5000, 0.0000])
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_tensor(target, input, "target", "hinge_embedding_loss")
    zero = _zero(input)
    loss = where(target != 1, clamp_min(margin - input, 0), zero) + where(target != -1, input, zero)
    return _reduce(loss, reduction)


@_amp.float32_precision
def soft_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """Logistic loss ``log(1 + exp(-y x))`` for targets y in {1, -1} (computed like torch,
    so a huge negative margin gives inf).

    Example:
        >>> F.soft_margin_loss(autograd.tensor([0.0]), autograd.tensor([1.0]))
        tensor(0.6931)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_tensor(target, input, "target", "soft_margin_loss")
    return _reduce((-input * target).exp().log1p(), reduction)


@_amp.float32_precision
def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-label logistic loss: per sample, the mean over the C classes of the binary cross
    entropy of ``sigmoid(x)`` against targets in {0, 1}.

    Example:
        >>> F.multilabel_soft_margin_loss(autograd.zeros(1, 2), autograd.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_tensor(target, input, "target", "multilabel_soft_margin_loss")
    if input.ndim == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.sum(-1) / input.shape[-1], reduction)


# ---- classes: multi-class and multi-label margins ----------------------------------------------
def _class_input(input, opname):
    """(rows, frames, classes) of a (N, C), (C,) or 0-d input, checked as torch does."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{opname}(): argument 'input' must be Tensor, not {type(input).__name__}")
    nd = input.ndim
    if not (nd == 0 or (nd in (1, 2) and input.shape[-1] != 0)):
        raise ShapeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, "
            f"but got: {shape_str(input.shape)}"
        )
    rows = input.reshape(1, 1) if nd == 0 else input.reshape(1, -1) if nd == 1 else input
    return rows, rows.shape[0], rows.shape[1]


def _long_target(target, opname):
    if not isinstance(target, Tensor):
        raise TypeError(
            f"{opname}(): argument 'target' must be Tensor, not {type(target).__name__}"
        )
    if target._data.dtype != np.int64:
        name = {"float32": "Float", "float64": "Double"}.get(
            target._data.dtype.name, str(target.dtype)
        )
        raise DTypeError(f"expected scalar type Long but found {name}")
    return target._data


@_amp.float32_precision
def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss: per sample, ``sum over j != y of max(0, margin - x[y] +
    x[j]) ** p / C`` (times ``weight[y]``), for class indices y; p is 1 or 2.

    Example:
        >>> F.multi_margin_loss(autograd.tensor([[0.1, 0.2, 0.4, 0.8]]), autograd.tensor([3]))
        tensor(0.3250)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    rows, n, c = _class_input(input, "multi_margin_loss")
    t = _long_target(target, "multi_margin_loss")
    if t.ndim > 1 or t.size != n:
        raise ShapeError(
            f"multi_margin_loss: target tensor should be 1-D with size equal to the "
            f"number of input samples (batch size). Expected target size [{n}], but "
            f"got {shape_str(t.shape)}. Input has shape {shape_str(input.shape)}."
        )
    if weight is not None and (weight.ndim > 1 or weight.numel() != c):
        raise ShapeError(
            f"inconsistent weight size, expected {c} but got {shape_str(weight.shape)}"
        )
    t = t.reshape(n)
    if ((t < 0) | (t >= c)).any():
        raise IndexError("target out of range")
    picked = rows.gather(1, Tensor._make(t[:, None]))  # x[y], (N, 1)
    z = margin - picked + rows
    others = np.ones((n, c), bool)
    others[np.arange(n), t] = False
    hinge = z if p == 1 else z * z
    if weight is not None:
        # weight[y] scales the selected terms only (the j == y term is skipped, not
        # multiplied by 0: 0 * inf would be nan)
        w = weight._data.reshape(-1)[t][:, None].astype(rows._data.dtype)
        hinge = hinge * Tensor._make(np.where(others, w, 0).astype(w.dtype))
    h = where(Tensor._make(others) & (z > 0), hinge, _zero(z))
    loss = h.sum(1) / c
    if reduction == "none":
        return loss if t.ndim and target.ndim else loss.reshape(())
    return _reduce(loss, reduction)


@_amp.float32_precision
def multilabel_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """Multi-label hinge loss: per sample, ``sum over target classes j and non-target classes
    k of max(0, 1 - (x[j] - x[k])) / C``. ``target`` lists the class indices of each sample
    and ends at the first -1 (a repeated index counts twice, as in torch).

    Example:
        >>> F.multilabel_margin_loss(autograd.tensor([[0.1, 0.2, 0.4, 0.8]]),
        ...                          autograd.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    rows, n, c = _class_input(input, "multilabel_margin_loss")
    t = _long_target(target, "multilabel_margin_loss")
    expected = (n, c) if input.ndim == 2 else None
    if (t.shape != expected) if expected else (t.ndim > 1 or t.size != c):
        raise ShapeError(
            f"inconsistent target size: {shape_str(t.shape)} for input of size: "
            f"{shape_str(input.shape)}"
        )
    t = t.reshape(n, c)
    counts = np.zeros((n, c))  # how often each class is listed before the first -1
    for i, row in enumerate(t):
        for j in row:
            if j == -1:
                break
            if not 0 <= j < c:
                raise IndexError("argument #2 'target' is out of range")
            counts[i, j] += 1
    weights = counts[:, :, None] * (counts == 0)[:, None, :]  # (N, j, k)
    z = 1 - rows.unsqueeze(2) + rows.unsqueeze(1)  # 1 - x[j] + x[k]
    # (select the listed pairs, not multiply the others by 0: 0 * inf would be nan)
    h = where(Tensor._make(weights > 0) & (z > 0), z, _zero(z)) * Tensor._make(
        weights.astype(rows._data.dtype)
    )
    loss = h.sum((1, 2)) / c
    if reduction == "none":
        return loss if input.ndim == 2 else loss.reshape(())
    return _reduce(loss, reduction)


# ---- triplets ----------------------------------------------------------------------------------
def _triplet_dims(anchor, positive, negative):
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise ShapeError(
            f"The anchor, positive, and negative tensors are expected to have the "
            f"same number of dimensions, but got: anchor {a}D, positive {p}D, and "
            f"negative {n}D inputs"
        )


@_amp.float32_precision
def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, d(a, p) - d(a, n) + margin)`` with ``d`` the p-norm pairwise distance: pulls
    the anchor towards the positive and pushes it from the negative. ``swap`` uses
    ``min(d(a, n), d(p, n))`` (the harder negative distance).

    Example:
        >>> a = autograd.tensor([[0.0, 0.0]])
        >>> F.triplet_margin_loss(a, a + 1, a - 3, eps=0)
        tensor(0.)
    """
    from .distance import pairwise_distance

    reduction = legacy_reduction(size_average, reduce, reduction)
    _triplet_dims(anchor, positive, negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(clamp_min(margin + d_pos - d_neg, 0), reduction)


@_amp.float32_precision
def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """``triplet_margin_loss`` with any distance ``distance_function(x1, x2)`` (default:
    ``pairwise_distance``), e.g. ``1 - cosine_similarity``.

    Example:
        >>> a = autograd.tensor([[0.0, 0.0]])
        >>> F.triplet_margin_with_distance_loss(a, a + 1, a - 3)
        tensor(0.)
    """
    from .distance import pairwise_distance

    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _triplet_dims(anchor, positive, negative)
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, dist(positive, negative))
    return _reduce(clamp_min(margin + d_pos - d_neg, 0), reduction)


# ---- registered ops: NumPy references and samples ----------------------------------------------
def _ref_cosine_embedding(x1, x2, y, margin=0, reduction="mean"):
    d = y.ndim
    cos = (x1 * x2).sum(d) / np.sqrt(((x1**2).sum(d) + 1e-12) * ((x2**2).sum(d) + 1e-12))
    loss = np.where(y == 1, 1 - cos, 0) + np.where(y == -1, np.maximum(cos - margin, 0), 0)
    return _ref_reduce(loss, reduction)


def _ref_margin_ranking(x1, x2, y, margin=0, reduction="mean"):
    return _ref_reduce(np.maximum(-y * (x1 - x2) + margin, 0), reduction)


def _ref_hinge_embedding(x, y, margin=1.0, reduction="mean"):
    loss = np.where(
        y == 1, x, np.where(y == -1, np.maximum(margin - x, 0), x + np.maximum(margin - x, 0))
    )
    return _ref_reduce(loss, reduction)


def _ref_soft_margin(x, y, reduction="mean"):
    return _ref_reduce(np.log1p(np.exp(-x * y)), reduction)


def _ref_multilabel_soft_margin(x, y, weight=None, reduction="mean"):
    sig = 1 / (1 + np.exp(-x))
    loss = -(y * np.log(sig) + (1 - y) * np.log(1 - sig)) * (1 if weight is None else weight)
    return _ref_reduce(loss.mean(-1), reduction)


def _ref_multi_margin(x, y, p=1, margin=1.0, weight=None, reduction="mean"):
    rows, ys = np.atleast_2d(x), np.atleast_1d(y)
    loss = np.zeros(len(ys))
    for i, (row, t) in enumerate(zip(rows, ys)):
        for j, v in enumerate(row):
            if j != t:
                loss[i] += max(0.0, margin - row[t] + v) ** p * (1 if weight is None else weight[t])
    loss /= rows.shape[1]
    if reduction == "none":
        return loss if y.ndim else loss[0]
    return _ref_reduce(loss, reduction)


def _ref_multilabel_margin(x, y, reduction="mean"):
    rows, targets = np.atleast_2d(x), np.atleast_2d(y)
    loss = np.zeros(len(rows))
    for i, (row, ts) in enumerate(zip(rows, targets)):
        listed = list(ts[: list(ts).index(-1)] if -1 in ts else ts)
        for j in listed:
            for k in range(len(row)):
                if k not in listed:
                    loss[i] += max(0.0, 1 - row[j] + row[k])
    loss /= rows.shape[1]
    if reduction == "none":
        return loss if x.ndim == 2 else loss[0]
    return _ref_reduce(loss, reduction)


def _ref_triplet(a, pos, neg, margin=1.0, p=2, eps=1e-6, swap=False, reduction="mean"):
    def dist(u, v):
        return (np.abs(u - v + eps) ** p).sum(-1) ** (1 / p)

    d_neg = dist(a, neg)
    if swap:
        d_neg = np.minimum(d_neg, dist(pos, neg))
    return _ref_reduce(np.maximum(margin + dist(a, pos) - d_neg, 0), reduction)


def _ref_triplet_distance(a, pos, neg, margin=1.0, swap=False, reduction="mean"):
    return _ref_triplet(a, pos, neg, margin, 2, 1e-6, swap, reduction)


def _signs(rng, shape):
    return rng.choice([-1.0, 1.0], shape)


def _margin_samples(rng):
    n = rng.normal
    x1, x2 = n(size=(6,)), n(size=(6,))
    x2 = np.where(np.abs(x1 - x2) < 0.1, x2 + 0.3, x2)  # no pair at the kink
    return [
        Sample(x1, x2, _signs(rng, (6,))),
        Sample(x1.reshape(2, 3), x2.reshape(2, 3), _signs(rng, (2, 3)), 0.2, reduction="sum"),
        Sample(n(size=(3, 1)) + 5, n(size=(3, 4)), _signs(rng, (1, 4)), reduction="none"),
    ]


def _cosine_samples(rng):
    return [
        Sample(
            rng.normal(size=(4, 3)),
            rng.normal(size=(4, 3)),
            np.array([1.0, -1.0, 1.0, -1.0]),
            no_grad_args=(2,),
        ),
        Sample(
            rng.normal(size=(3, 5)),
            rng.normal(size=(3, 5)),
            np.array([1, -1, -1]),
            -0.5,
            reduction="none",
        ),
        Sample(
            rng.normal(size=(4,)),
            rng.normal(size=(4,)),
            np.array(-1.0),
            -1.0,
            reduction="sum",
            no_grad_args=(2,),
        ),
    ]


def _hinge_samples(rng):
    return [
        Sample(away_from([1.0])(rng)[0].args[0], _signs(rng, (3, 4)), no_grad_args=(1,)),
        Sample(rng.uniform(0.1, 0.4, (5,)), np.array([1, -1, 1, -1, -1]), 0.5, reduction="none"),
    ]


def _soft_margin_samples(rng):
    return [
        # (torch refuses a target that requires grad)
        Sample(rng.normal(size=(3, 4)), _signs(rng, (3, 4)), no_grad_args=(1,)),
        Sample(rng.normal(size=(5,)), rng.normal(size=(5,)), reduction="none", no_grad_args=(1,)),
    ]


def _multilabel_soft_samples(rng):
    return [
        Sample(
            rng.normal(size=(3, 4)), rng.integers(0, 2, (3, 4)).astype(float), no_grad_args=(1,)
        ),
        Sample(
            rng.normal(size=(2, 3)),
            rng.uniform(0, 1, (2, 3)),
            rng.uniform(0.5, 2, (3,)),
            reduction="none",
            no_grad_args=(2,),
        ),
        Sample(rng.normal(size=(4,)), rng.uniform(0, 1, (4,)), reduction="sum"),
    ]


def _distinct_rows(rng, n, c):
    """Scores with every pairwise difference away from the hinge's kink at +-1 (and 0)."""
    return rng.permutation(n * c).reshape(n, c) * 0.37 + 0.05


def _multi_margin_samples(rng):
    return [
        Sample(_distinct_rows(rng, 3, 4), np.array([0, 3, 1])),
        Sample(
            _distinct_rows(rng, 2, 3),
            np.array([2, 0]),
            2,
            0.5,
            rng.uniform(0.5, 2, (3,)),
            reduction="none",
            no_grad_args=(4,),
        ),
        Sample(_distinct_rows(rng, 1, 4)[0], np.array([1]), reduction="none"),
        Sample(_distinct_rows(rng, 1, 5)[0], np.array(4), reduction="sum"),
    ]


def _multilabel_samples(rng):
    return [
        Sample(_distinct_rows(rng, 2, 4) * 0.2, np.array([[3, 0, -1, 1], [1, 1, 2, -1]])),
        Sample(_distinct_rows(rng, 1, 3)[0] * 0.3, np.array([2, -1, 0]), reduction="none"),
        Sample(
            _distinct_rows(rng, 3, 3) * 0.1,
            np.array([[0, 1, 2], [-1, 0, 0], [2, -1, 1]]),
            reduction="none",
        ),
    ]


def _triplet_samples(rng):
    return [
        Sample(rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), 2.0),
        Sample(
            rng.normal(size=(3, 5)),
            rng.normal(size=(3, 5)) * 0.2,
            rng.normal(size=(3, 5)),
            1.0,
            1.5,
            swap=True,
            reduction="none",
        ),
        Sample(
            rng.normal(size=(4,)),
            rng.normal(size=(4,)),
            rng.normal(size=(4,)),
            3.0,
            3,
            reduction="sum",
        ),
    ]


def _triplet_distance_samples(rng):
    return [
        Sample(
            rng.normal(size=(4, 3)),
            rng.normal(size=(4, 3)),
            rng.normal(size=(4, 3)),
            margin=2.0,
        ),
        Sample(
            rng.normal(size=(3, 5)),
            rng.normal(size=(3, 5)) * 0.2,
            rng.normal(size=(3, 5)),
            swap=True,
            margin=3.0,
            reduction="none",
        ),
    ]


register_functions(
    "margin_loss",
    [
        ("cosine_embedding_loss", cosine_embedding_loss, _ref_cosine_embedding, _cosine_samples),
        ("margin_ranking_loss", margin_ranking_loss, _ref_margin_ranking, _margin_samples),
        ("hinge_embedding_loss", hinge_embedding_loss, _ref_hinge_embedding, _hinge_samples),
        ("soft_margin_loss", soft_margin_loss, _ref_soft_margin, _soft_margin_samples),
        (
            "multilabel_soft_margin_loss",
            multilabel_soft_margin_loss,
            _ref_multilabel_soft_margin,
            _multilabel_soft_samples,
        ),
        ("multi_margin_loss", multi_margin_loss, _ref_multi_margin, _multi_margin_samples),
        (
            "multilabel_margin_loss",
            multilabel_margin_loss,
            _ref_multilabel_margin,
            _multilabel_samples,
        ),
        ("triplet_margin_loss", triplet_margin_loss, _ref_triplet, _triplet_samples),
        (
            "triplet_margin_with_distance_loss",
            triplet_margin_with_distance_loss,
            _ref_triplet_distance,
            _triplet_distance_samples,
        ),
    ],
    namespace="nn.functional",
)
