"""Activation modules: thin wrappers around ``nn.functional`` with torch's reprs."""

from __future__ import annotations

from collections.abc import Callable

import autograd
from autograd import Tensor

from .. import functional as F
from .attention import MultiheadAttention  # noqa: F401  (torch.nn.modules.activation has it)
from ..module import Module
from ..parameter import Parameter
from ._simple import _Applies

__all__ = [
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "ELU",
    "CELU",
    "SELU",
    "GELU",
    "SiLU",
    "Mish",
    "Sigmoid",
    "Tanh",
    "Softplus",
    "Softmax",
    "LogSoftmax",
    "Softmin",
    "Hardtanh",
    "Hardsigmoid",
    "Hardswish",
    "LogSigmoid",
    "Softsign",
    "Tanhshrink",
    "PReLU",
    "Threshold",
    "GLU",
    "Hardshrink",
    "Softshrink",
    "RReLU",
    "Softmax2d",
]


class _Elementwise(Module):
    """An activation without arguments: ``forward(input)`` is ``function(input)``."""

    function: Callable[..., Tensor]

    def forward(self, input):
        return self.function(input)


class _Inplace(_Applies):
    """An activation whose only argument is ``inplace``."""

    def __init__(self, inplace: bool = False):
        super().__init__(inplace=inplace)


class ReLU(_Inplace):
    """``max(x, 0)``.

    Example:
        >>> nn.ReLU()(autograd.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    function = staticmethod(F.relu)


class ReLU6(_Inplace):
    """``min(max(x, 0), 6)``."""

    function = staticmethod(autograd.relu6)


class LeakyReLU(_Applies):
    """``x`` for x >= 0 else ``negative_slope * x``."""

    function = staticmethod(autograd.leaky_relu)

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False):
        super().__init__(negative_slope=negative_slope, inplace=inplace)


class ELU(_Applies):
    """``x`` for x > 0 else ``alpha * (exp(x) - 1)``."""

    function = staticmethod(autograd.elu)

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__(alpha=alpha, inplace=inplace)


class CELU(ELU):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""

    function = staticmethod(autograd.celu)


class SELU(_Inplace):
    """Scaled ELU with the self-normalising constants."""

    function = staticmethod(autograd.selu)


class GELU(_Applies):
    """Gaussian error linear unit; ``approximate='tanh'`` for the tanh form."""

    function = staticmethod(autograd.gelu)

    def __init__(self, approximate: str = "none"):
        super().__init__(approximate=approximate)


class SiLU(_Inplace):
    """``x * sigmoid(x)`` (swish)."""

    function = staticmethod(autograd.silu)


class Mish(_Inplace):
    """``x * tanh(softplus(x))``."""

    function = staticmethod(autograd.mish)


class Sigmoid(_Elementwise):
    """``1 / (1 + exp(-x))``."""

    function = staticmethod(autograd.sigmoid)


class Tanh(_Elementwise):
    """Hyperbolic tangent."""

    function = staticmethod(autograd.tanh)


class Softplus(_Applies):
    """``log(1 + exp(beta x)) / beta`` (linear above ``threshold``)."""

    function = staticmethod(autograd.softplus)

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__(beta=beta, threshold=threshold)


class Softmax(_Applies):
    """Softmax along ``dim``.

    Example:
        >>> nn.Softmax(dim=-1)(autograd.zeros(2))
        tensor([0.5000, 0.5000])
    """

    function = staticmethod(autograd.softmax)

    def __init__(self, dim: int | None = None):
        super().__init__(dim=dim)


class Softmin(Softmax):
    """Softmax of ``-x``."""

    def forward(self, input):
        return autograd.softmax(-input, self.dim)


class LogSoftmax(Softmax):
    """log(softmax(x)) along ``dim``, computed stably."""

    function = staticmethod(autograd.log_softmax)


class Hardtanh(_Applies):
    """``clamp(x, min_val, max_val)``."""

    function = staticmethod(autograd.hardtanh)

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        if max_val <= min_val:
            raise ValueError("max_val must be greater than min_val")
        super().__init__(min_val=min_val, max_val=max_val, inplace=inplace)


class Hardsigmoid(_Inplace):
    function = staticmethod(autograd.hardsigmoid)


class Hardswish(_Inplace):
    function = staticmethod(autograd.hardswish)


class LogSigmoid(_Elementwise):
    """``log(sigmoid(x))``, stable."""

    function = staticmethod(autograd.logsigmoid)


class Softsign(_Elementwise):
    function = staticmethod(autograd.softsign)


class Tanhshrink(_Elementwise):
    function = staticmethod(autograd.tanhshrink)


class Threshold(_Applies):
    """``x if x > threshold else value``."""

    function = staticmethod(F.threshold)

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__(threshold=threshold, value=value, inplace=inplace)


class GLU(_Applies):
    function = staticmethod(F.glu)

    def __init__(self, dim: int = -1):
        super().__init__(dim=dim)


class PReLU(Module):
    """Leaky ReLU with a learnable slope (one, or one per channel), initialised to ``init``."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(autograd.full((num_parameters,), init, dtype=dtype, device=device))

    def forward(self, input):
        return autograd.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Hardshrink(_Applies):
    """``x`` where ``|x| > lambd``, else 0.

    Example:
        >>> nn.Hardshrink()(autograd.tensor([-1.0, 0.3, 0.7]))
        tensor([-1.0000,  0.0000,  0.7000])
    """

    function = staticmethod(autograd.hardshrink)

    def __init__(self, lambd: float = 0.5):
        super().__init__(lambd=lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0 (soft
    thresholding).

    Example:
        >>> nn.Softshrink(0.5)(autograd.tensor([-1.0, 0.3, 0.7]))
        tensor([-0.5000,  0.0000,  0.2000])
    """

    function = staticmethod(F.softshrink)


class RReLU(_Applies):
    """Randomized leaky ReLU: in training each negative element is scaled by its own slope
    drawn from U(lower, upper) (a regulariser); in eval mode by ``(lower + upper) / 2``.

    Example:
        >>> nn.RReLU(0.1, 0.3).eval()(autograd.tensor([-1.0, 2.0]))
        tensor([-0.2000,  2.0000])
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__(lower=lower, upper=upper, inplace=inplace)

    def forward(self, input):  # the slopes are drawn only in training mode
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)


class Softmax2d(Module):
    """Softmax over the channels at every spatial position of ``(N, C, H, W)`` or
    ``(C, H, W)``.

    Example:
        >>> nn.Softmax2d()(autograd.zeros(1, 4, 2, 2))[0, :, 0, 0]
        tensor([0.2500, 0.2500, 0.2500, 0.2500])
    """

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead"
            )
        return autograd.softmax(input, -3)
