"""Loss modules: thin wrappers around ``nn.functional`` losses, with ``reduction``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import functional as F
from ..module import Module
from .distance import PairwiseDistance

if TYPE_CHECKING:
    from autograd import Tensor

__all__ = [
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "KLDivLoss",
    "CosineEmbeddingLoss",
    "MarginRankingLoss",
    "HingeEmbeddingLoss",
    "SoftMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "MultiLabelMarginLoss",
    "TripletMarginLoss",
    "TripletMarginWithDistanceLoss",
    "GaussianNLLLoss",
    "PoissonNLLLoss",
    "CTCLoss",
]


class _Loss(Module):
    """Base of the loss modules: holds ``reduction`` and calls the functional loss.

    A loss module names its functional loss in ``_function`` and, in ``_options``, the
    attributes it passes on to it as keyword arguments (with ``reduction``). The
    ``forward`` here takes ``(input, target)``; losses with other inputs override it with
    torch's argument names and hand the inputs to :meth:`_loss`.
    """

    _function: Callable[..., Tensor]
    _options: tuple[str, ...] = ()

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            # torch's legacy arguments: translate them to ``reduction``
            size_average = True if size_average is None else size_average
            reduce = True if reduce is None else reduce
            reduction = ("mean" if size_average else "sum") if reduce else "none"
        self.reduction = reduction

    def forward(self, input, target):
        if not hasattr(self, "_function"):  # a user's subclass that defines no forward
            return super().forward(input, target)  # Module's "missing forward" error
        return self._loss(input, target)

    def _loss(self, *inputs):
        """``_function(*inputs, reduction=..., **options)`` with this module's settings."""
        options = {name: getattr(self, name) for name in self._options}
        return self._function(*inputs, reduction=self.reduction, **options)


def _check_margin(loss_name: str, margin: float) -> None:
    """The triplet losses need a positive margin (torch's check and message)."""
    if margin <= 0:
        raise ValueError(f"{loss_name}: expected margin to be greater than 0, got {margin} instead")


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error.

    Example:
        >>> nn.MSELoss()(autograd.tensor([1.0, 3.0]), autograd.tensor([1.0, 1.0]))
        tensor(2.)
    """

    _function = staticmethod(F.mse_loss)


class L1Loss(_Loss):
    """Mean absolute error."""

    _function = staticmethod(F.l1_loss)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above."""

    _function = staticmethod(F.smooth_l1_loss)
    _options = ("beta",)

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta


class HuberLoss(_Loss):
    """Quadratic below ``delta``, linear (slope ``delta``) above."""

    _function = staticmethod(F.huber_loss)
    _options = ("delta",)

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = delta


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits against class indices or class probabilities.

    Example:
        >>> loss = nn.CrossEntropyLoss(label_smoothing=0.1)
        >>> loss(autograd.zeros(2, 3), autograd.tensor([0, 2])).shape
        autograd.Size([])
    """

    _function = staticmethod(F.cross_entropy)
    _options = ("weight", "ignore_index", "label_smoothing")

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities at class indices."""

    _function = staticmethod(F.nll_loss)
    _options = ("weight", "ignore_index")

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities (logs clamped at -100)."""

    _function = staticmethod(F.binary_cross_entropy)
    _options = ("weight",)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy on logits (stable), with optional ``pos_weight``."""

    _function = staticmethod(F.binary_cross_entropy_with_logits)
    _options = ("weight", "pos_weight")

    def __init__(
        self, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None
    ):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)


class KLDivLoss(_Loss):
    """KL divergence; ``input`` are log-probabilities (``log_target`` for log targets too)."""

    _function = staticmethod(F.kl_div)
    _options = ("log_target",)

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False
    ):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target


class _MarginLoss(_Loss):
    _options = ("margin",)

    def __init__(
        self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"
    ):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin


class CosineEmbeddingLoss(_MarginLoss):
    """``1 - cos(x1, x2)`` for target 1, ``max(0, cos(x1, x2) - margin)`` for target -1:
    learns embeddings where similar pairs point the same way.

    Example:
        >>> x = autograd.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> nn.CosineEmbeddingLoss()(x, x, autograd.tensor([1.0, -1.0]))
        tensor(0.5000)
    """

    _function = staticmethod(F.cosine_embedding_loss)

    def forward(self, input1, input2, target):
        return self._loss(input1, input2, target)


class MarginRankingLoss(_MarginLoss):
    """``max(0, -y (x1 - x2) + margin)``: learn to rank x1 above x2 (y = 1) or below (y = -1)."""

    _function = staticmethod(F.margin_ranking_loss)

    def forward(self, input1, input2, target):
        return self._loss(input1, input2, target)


class HingeEmbeddingLoss(_MarginLoss):
    """``x`` for target 1 and ``max(0, margin - x)`` for target -1 (x: a distance)."""

    _function = staticmethod(F.hinge_embedding_loss)

    def __init__(
        self, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean"
    ):
        super().__init__(margin, size_average, reduce, reduction)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss ``log(1 + exp(-y x))`` for targets in {1, -1}."""

    _function = staticmethod(F.soft_margin_loss)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Multi-label logistic loss: the mean over classes of per-class binary cross entropy
    of ``sigmoid(x)`` against 0/1 targets."""

    _function = staticmethod(F.multilabel_soft_margin_loss)
    _options = ("weight",)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss (the SVM loss): ``sum over j != y of max(0, margin - x[y] +
    x[j]) ** p / C``, p = 1 or 2.

    Example:
        >>> nn.MultiMarginLoss()(autograd.tensor([[0.1, 0.2, 0.4, 0.8]]), autograd.tensor([3]))
        tensor(0.3250)
    """

    _function = staticmethod(F.multi_margin_loss)
    _options = ("p", "margin", "weight")

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight=None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError(
                f"MultiMarginLoss: expected weight to be None or 1D tensor, got "
                f"{weight.dim()}D instead"
            )
        self.p = p
        self.margin = margin


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss; each target row lists class indices and ends at -1."""

    _function = staticmethod(F.multilabel_margin_loss)


class TripletMarginLoss(_MarginLoss):
    """``max(0, d(a, p) - d(a, n) + margin)`` with the p-norm distance (metric learning).

    Example:
        >>> a = autograd.zeros(1, 2)
        >>> nn.TripletMarginLoss(eps=0)(a, a + 1, a - 3)
        tensor(0.)
    """

    _function = staticmethod(F.triplet_margin_loss)
    _options = ("margin", "p", "eps", "swap")

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ):
        super().__init__(margin, size_average, reduce, reduction)
        _check_margin("TripletMarginLoss", margin)
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return self._loss(anchor, positive, negative)


class TripletMarginWithDistanceLoss(_Loss):
    """The triplet loss with any distance function (default ``PairwiseDistance()``, kept as
    a submodule like torch's).

    Example:
        >>> loss = nn.TripletMarginWithDistanceLoss(
        ...     distance_function=lambda x, y: 1 - F.cosine_similarity(x, y))
        >>> a = autograd.tensor([[1.0, 0.0]])
        >>> loss(a, a, -a)
        tensor(0.)
    """

    _function = staticmethod(F.triplet_margin_with_distance_loss)
    _options = ("distance_function", "margin", "swap")

    def __init__(
        self,
        *,
        distance_function=None,
        margin: float = 1.0,
        swap: bool = False,
        reduction: str = "mean",
    ):
        super().__init__(size_average=None, reduce=None, reduction=reduction)
        _check_margin("TripletMarginWithDistanceLoss", margin)
        self.distance_function = (
            distance_function if distance_function is not None else PairwiseDistance()
        )
        self.margin = margin
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return self._loss(anchor, positive, negative)


class GaussianNLLLoss(_Loss):
    """Negative log-likelihood of targets under N(input, var): ``forward(input, target,
    var)`` with a predicted variance (heteroscedastic regression).

    Example:
        >>> nn.GaussianNLLLoss()(autograd.zeros(2), autograd.ones(2), autograd.ones(2))
        tensor(0.5000)
    """

    _function = staticmethod(F.gaussian_nll_loss)
    _options = ("full", "eps")

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input, target, var):
        return self._loss(input, target, var)


class PoissonNLLLoss(_Loss):
    """Negative log-likelihood of counts under Poisson(rate); the input is the log-rate
    (``log_input=True``) or the rate."""

    _function = staticmethod(F.poisson_nll_loss)
    _options = ("log_input", "full", "eps")

    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        size_average=None,
        eps: float = 1e-8,
        reduce=None,
        reduction: str = "mean",
    ):
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input, target):
        return self._loss(log_input, target)


class CTCLoss(_Loss):
    """Connectionist temporal classification: ``forward(log_probs, targets, input_lengths,
    target_lengths)`` with log-softmax outputs (T, N, C) and unaligned targets (speech,
    handwriting).

    Example:
        >>> ctc = nn.CTCLoss()
        >>> lp = autograd.randn(6, 2, 4).log_softmax(2)
        >>> ctc(lp, autograd.tensor([[1, 2], [3, 3]]), (6, 5), (2, 2)).shape
        autograd.Size([])
    """

    _function = staticmethod(F.ctc_loss)
    _options = ("blank", "zero_infinity")

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return self._loss(log_probs, targets, input_lengths, target_lengths)
