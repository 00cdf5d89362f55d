"""Connectionist temporal classification (``torch.nn.functional.ctc_loss``).

CTC scores an unsegmented target sequence (e.g. the characters of an utterance) against T
frames of class log-probabilities: the probability of the target is the sum over every
alignment that reads it after merging repeats and dropping blanks. The sum is computed by
the forward-backward algorithm over the extended target ``l'`` = (blank, l1, blank, l2, ...,
blank) of length 2L + 1, in log space (sums of probabilities are logaddexp's, so long
sequences do not underflow):

    alpha_t(s) = lp_t(l'_s) + logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1),
                                        alpha_{t-1}(s-2) if l'_s != blank and l'_s != l'_{s-2})
    beta_t(s)  = lp_t(l'_s) + logsumexp(beta_{t+1}(s), beta_{t+1}(s+1), beta_{t+1}(s+2) ...)

    loss = -log p(l | x) = -logsumexp(alpha_{T-1}(2L), alpha_{T-1}(2L - 1))

and d loss / d lp_t(c) = -sum over s with l'_s = c of exp(alpha_t(s) + beta_t(s) - lp_t(c) +
loss) (alpha and beta both contain lp_t(l'_s)). This is the derivative with respect to the
log-probabilities themselves: finite differences agree with it. torch's kernel returns that
gradient plus ``exp(lp)``, the gradient of its log-softmax fused in, which is the same after
a ``log_softmax`` (the usual input) but not for raw log-probabilities; the tests compare
with torch through ``log_softmax``.

Both recursions run over time as NumPy operations on the whole batch at once (T steps, each
on an (N, 2 max(L) + 1) array). The loss is differentiable once (as in torch: its backward
is not differentiable again).
"""

from __future__ import annotations

import numpy as np

from .. import amp as _amp
from ..errors import DTypeError, ShapeError
from ..function import Op
from ..tensor import Tensor
from ._util import float_input
from .registry import OpInfo, Sample, register

__all__ = ["ctc_loss"]


def _logsumexp3(a, b, c):
    """Elementwise log(e^a + e^b + e^c) with -inf terms allowed (all -inf gives -inf)."""
    m = np.maximum(np.maximum(a, b), c)
    safe = np.where(np.isfinite(m), m, 0.0)
    return safe + np.log(np.exp(a - safe) + np.exp(b - safe) + np.exp(c - safe))


def _extended(targets, target_lengths, blank, width):
    """The extended targets l' (N, width): blanks around and between the labels (blank
    beyond 2L + 1), and where the skip from s - 2 is allowed."""
    n = len(target_lengths)
    ext = np.full((n, width), blank, np.int64)
    for b, (labels, length) in enumerate(zip(targets, target_lengths)):
        ext[b, 1 : 2 * length : 2] = labels[:length]
    skip = np.zeros((n, width), bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    return ext, skip


def _shift(a, k):
    """a[..., s - k] along the last axis (-inf shifted in)."""
    out = np.full_like(a, -np.inf)
    out[..., k:] = a[..., :-k]
    return out


def _forward_backward(lp, ext, skip, input_lengths, target_lengths, need_beta):
    """log alpha (T, N, S'), log beta (or None) and the negative log-likelihood (N,)."""
    t_max, n = lp.shape[:2]
    width = ext.shape[1]
    batch = np.arange(n)[:, None]
    emit = lp[:, batch, ext]  # lp_t(l'_s): (T, N, S')
    s_idx = np.arange(width)
    valid = s_idx[None, :] < (2 * target_lengths + 1)[:, None]  # positions of l' per sample
    neg = np.full((n, width), -np.inf, lp.dtype)
    alpha = np.full((t_max, n, width), -np.inf, lp.dtype)
    if t_max:
        alpha[0] = np.where(valid & (s_idx < 2), emit[0], -np.inf)
    for t in range(1, t_max):
        prev = alpha[t - 1]
        step = _logsumexp3(prev, _shift(prev, 1), np.where(skip, _shift(prev, 2), neg)) + emit[t]
        alpha[t] = np.where(valid & (t < input_lengths)[:, None], step, -np.inf)
    last = np.maximum(input_lengths - 1, 0)
    end = 2 * target_lengths
    final = alpha[last, np.arange(n)]  # (N, S') at t = T_b - 1
    ll = np.logaddexp(
        final[np.arange(n), end],
        np.where(target_lengths > 0, final[np.arange(n), np.maximum(end - 1, 0)], -np.inf),
    )
    ll = np.where(input_lengths > 0, ll, np.where(target_lengths == 0, 0.0, -np.inf))
    if not need_beta:
        return alpha, None, -ll
    beta = np.full((t_max, n, width), -np.inf, lp.dtype)
    skip_next = np.zeros_like(skip)
    skip_next[:, :-2] = skip[:, 2:]  # the move s -> s + 2 is allowed
    for t in range(t_max - 1, -1, -1):
        is_last = t == input_lengths - 1
        init = np.where(valid & (s_idx[None, :] >= (end - 1)[:, None]), emit[t], -np.inf)
        if t + 1 < t_max:
            nxt = beta[t + 1]
            up1 = np.full_like(nxt, -np.inf)
            up1[:, :-1] = nxt[:, 1:]
            up2 = np.full_like(nxt, -np.inf)
            up2[:, :-2] = nxt[:, 2:]
            step = _logsumexp3(nxt, up1, np.where(skip_next, up2, neg)) + emit[t]
        else:
            step = neg
        beta[t] = np.where(
            is_last[:, None],
            init,
            np.where(valid & (t < input_lengths - 1)[:, None], step, -np.inf),
        )
    return alpha, beta, -ll


class CtcLoss(Op):
    """The per-sample negative log-likelihoods (N,); VJP: the occupancy formula above, times
    each sample's incoming gradient (zero past a sample's length, and for infinite losses
    with ``zero_infinity``)."""

    @staticmethod
    def forward(ctx, lp, ext, skip, input_lengths, target_lengths, zero_infinity):
        alpha, beta, nll = _forward_backward(lp, ext, skip, input_lengths, target_lengths, True)
        t_max, n, c = lp.shape
        occupancy = np.exp(alpha + beta + nll[None, :, None] - lp[:, np.arange(n)[:, None], ext])
        flat = (np.arange(t_max)[:, None, None] * n + np.arange(n)[None, :, None]) * c + ext[None]
        grad = -np.bincount(
            flat.ravel(), weights=np.nan_to_num(occupancy, nan=0.0).ravel(), minlength=t_max * n * c
        ).reshape(t_max, n, c)
        # torch: an impossible target (infinite loss) has nan gradients within its length
        inside = np.arange(t_max)[:, None] < input_lengths[None, :]
        infinite = np.isinf(nll)
        grad = np.where((infinite[None, :] & inside)[..., None], np.nan, grad)
        if zero_infinity:
            grad = np.where(infinite[None, :, None], 0.0, grad)
            nll = np.where(infinite, 0.0, nll)
        ctx.grad = grad.astype(lp.dtype)
        ctx.save_for_backward(lp)
        return nll.astype(lp.dtype)

    @staticmethod
    def backward(ctx, g, xp):
        if xp.graph:  # a recorded backward: an op of its own, not differentiable again
            (lp,) = ctx.saved_tensors
            return CtcLossBackward.apply(g, lp, unit=ctx.grad)
        return g[None, :, None] * ctx.grad

    @staticmethod
    def jvp(ctx, tangents, xp):
        # sample n's loss depends on lp[:, n, :] only: its tangent is the sum of the unit
        # gradient times the tangent over time and classes (recorded through CtcLossBackward,
        # so differentiating it again raises torch's error)
        weights = CtcLoss.backward(ctx, xp.ones_like(ctx.output), xp)
        return xp.sum(weights * tangents[0], (0, 2), False)


class CtcLossBackward(Op):
    """The CTC gradient as a recorded op (``create_graph=True``); like torch's, it has no
    derivative itself."""

    @staticmethod
    def forward(ctx, g, lp, unit):
        return g[None, :, None] * unit

    @staticmethod
    def backward(ctx, h, xp):
        raise RuntimeError("derivative for ctc_loss_backward is not implemented")


def _lengths(lengths, name, n):
    """input_lengths / target_lengths: a Tensor, a sequence or an int -> int64 (n,)."""
    if isinstance(lengths, Tensor):
        if lengths._data.dtype.kind not in "iu":
            raise DTypeError(f"ctc_loss(): {name} must be an integer tensor, got {lengths.dtype}")
        arr = lengths._data.astype(np.int64).reshape(-1)
    else:
        try:
            arr = np.asarray(lengths if np.ndim(lengths) else [lengths])
        except (TypeError, ValueError):
            arr = None
        if arr is None or arr.dtype.kind not in "iu" and arr.size:
            raise TypeError(
                f"ctc_loss(): {name} must be a tuple of ints or an integer tensor, got {lengths!r}"
            )
        arr = arr.astype(np.int64).reshape(-1)
    if arr.size != n:
        raise ShapeError(f"{name} must be of size batch_size")
    if (arr < 0).any():
        raise ValueError(
            f"Expected {name} to have value at least 0, but got value "
            f"{int(arr.min())} (while checking arguments for ctc_loss)"
        )
    return arr


@_amp.float32_precision
def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """CTC loss of ``log_probs`` (T, N, C) (or unbatched (T, C)), log-softmax outputs over C
    classes with class ``blank`` the blank, against ``targets``: padded (N, S) or all targets
    concatenated (sum(target_lengths),), class indices without the blank.
    ``input_lengths`` (N,) and ``target_lengths`` (N,) are tensors or tuples of ints.
    ``reduction='mean'`` divides each loss by its target length, then averages over the
    batch; ``zero_infinity`` replaces the infinite losses of impossible alignments (and
    their gradients) by zeros.

    Example:
        >>> lp = autograd.randn(6, 2, 4).log_softmax(2)
        >>> loss = F.ctc_loss(lp, autograd.tensor([[1, 2], [3, 3]]), (6, 5), (2, 2))
        >>> loss.shape
        autograd.Size([])
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    lp = float_input(log_probs, "ctc_loss")
    if not isinstance(targets, Tensor):
        raise TypeError(
            f"ctc_loss(): argument 'targets' must be Tensor, not {type(targets).__name__}"
        )
    if lp.ndim not in (2, 3):
        raise ShapeError(
            f"Expected 3-dimensional tensor, but got {lp.ndim}-dimensional tensor "
            f"for argument #1 'log_probs' (while checking arguments for ctc_loss)"
        )
    unbatched = lp.ndim == 2
    x = lp.unsqueeze(1) if unbatched else lp
    t_max, n, c = x.shape
    if x.numel() == 0:
        raise ShapeError("log_probs tensor must not be empty")
    if not 0 <= blank < c:
        raise ValueError("blank must be in label range")
    tgt = targets._data
    if tgt.dtype.kind == "f" and np.all(np.isfinite(tgt)):
        tgt = tgt.astype(np.int64)  # (torch takes float targets too)
    if tgt.dtype.kind not in "iu":
        raise DTypeError(f"ctc_loss(): targets must be integer class indices, got {targets.dtype}")
    in_len = _lengths(input_lengths, "input_lengths", n)
    tg_len = _lengths(target_lengths, "target_lengths", n)
    if (in_len > t_max).any():
        raise ValueError(
            f"Expected input_lengths to have value at most {t_max}, but got value "
            f"{int(in_len.max())} (while checking arguments for ctc_loss)"
        )
    if unbatched and tgt.ndim == 1:
        tgt = tgt[None]
    if tgt.ndim == 2:
        if tgt.shape[0] != n or tgt.shape[1] < tg_len.max(initial=0):
            raise ShapeError(
                f"Expected tensor to have size at least {tg_len.max(initial=0)} at "
                f"dimension 1, but got size {tgt.shape[1]} for argument #2 "
                f"'targets' (while checking arguments for ctc_loss)"
            )
        rows = list(tgt)
    elif tgt.ndim == 1:
        if tgt.shape[0] != tg_len.sum():
            raise ShapeError(
                f"Expected tensor to have size {tg_len.sum()} at dimension 0, but "
                f"got size {tgt.shape[0]} for argument #2 'targets' (while checking "
                f"arguments for ctc_loss)"
            )
        rows = np.split(tgt, np.cumsum(tg_len)[:-1])
    else:
        raise ShapeError(
            f"Expected 1 to 2 dimensions, but got {tgt.ndim}-dimensional tensor "
            f"for argument #2 'targets' (while checking arguments for ctc_loss)"
        )
    used = np.concatenate([r[:k] for r, k in zip(rows, tg_len)] + [np.zeros(0, np.int64)])
    if ((used < 0) | (used >= c)).any():
        raise IndexError(
            f"ctc_loss(): target class {int(used[(used < 0) | (used >= c)][0])} "
            f"is out of range for {c} classes"
        )
    ext, skip = _extended(rows, tg_len, blank, 2 * int(tg_len.max(initial=0)) + 1)
    losses = CtcLoss.apply(
        x,
        ext=ext,
        skip=skip,
        input_lengths=in_len,
        target_lengths=tg_len,
        zero_infinity=bool(zero_infinity),
    )
    if reduction == "none":
        return losses.reshape(()) if unbatched else losses
    if reduction == "sum":
        return losses.sum()
    scale = Tensor._make(1.0 / np.maximum(tg_len, 1).astype(x._data.dtype))
    return (losses * scale).mean()


# ---- registered op: a reference by enumerating alignments, and samples -------------------------
def _ref_ctc(
    lp, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False
):
    """Brute force: -log of the sum, over every path of frames that collapses to the target
    (merge repeats, drop blanks), of the product of its probabilities."""
    import itertools

    unbatched = lp.ndim == 2
    lp = lp[:, None] if unbatched else lp
    t_max, n, c = lp.shape
    tgt = np.asarray(targets)
    tgt = tgt[None] if tgt.ndim == 1 and unbatched else tgt
    in_len = np.atleast_1d(np.asarray(input_lengths))
    tg_len = np.atleast_1d(np.asarray(target_lengths))
    rows = list(tgt) if tgt.ndim == 2 else np.split(tgt, np.cumsum(tg_len)[:-1])
    losses = np.zeros(n)
    for b in range(n):
        want = tuple(rows[b][: tg_len[b]])
        total = -np.inf
        for path in itertools.product(range(c), repeat=int(in_len[b])):
            merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
            if tuple(k for k in merged if k != blank) == want:
                total = np.logaddexp(total, sum(lp[t, b, k] for t, k in enumerate(path)))
        losses[b] = -total
    if zero_infinity:
        losses = np.where(np.isinf(losses), 0.0, losses)
    if reduction == "none":
        return losses[0] if unbatched else losses
    if reduction == "sum":
        return np.asarray(losses.sum())
    return np.asarray((losses / np.maximum(tg_len, 1)).mean())


def _ctc_samples(rng):
    def log_probs(*shape):
        x = rng.normal(size=shape)
        return x - np.log(np.exp(x).sum(-1, keepdims=True))

    return [
        Sample(log_probs(4, 2, 3), np.array([[1, 2], [2, 2]]), np.array([4, 3]), np.array([2, 1])),
        Sample(log_probs(5, 2, 3), np.array([1, 1, 2]), (5, 4), (2, 1), reduction="sum"),
        Sample(log_probs(4, 3), np.array([0, 1]), 4, 2, blank=2, reduction="none"),
        Sample(
            log_probs(3, 3, 3),
            np.array([[1, 1], [2, 0], [1, 2]]),
            (3, 3, 2),
            (2, 0, 2),
            reduction="none",
            zero_infinity=True,
        ),
    ]  # an impossible target


register(
    OpInfo(
        "ctc_loss",
        ctc_loss,
        ref=_ref_ctc,
        samples=_ctc_samples,
        method=False,
        family="ctc",
        namespace="nn.functional",
        gradgrad=False,
        # torch's gradient carries its fused log-softmax term (module docstring):
        # compared with torch through log_softmax in tests/test_ctc_loss.py
        torch_fn=False,
    )
)
