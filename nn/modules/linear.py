"""Identity, Linear, Bilinear (torch's default initialisation)."""

from __future__ import annotations

import math

import autograd

from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["Identity", "Linear", "Bilinear", "LazyLinear"]


def _factory(dtype, device=None):
    return {"dtype": dtype, "device": device}


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored, like torch).

    Example:
        >>> nn.Identity()(autograd.tensor([1.0]))
        tensor([1.])
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x @ W.T + b`` with W of shape (out_features, in_features).

    Initialised like torch: W ~ kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)),
    b ~ U(-1/sqrt(in), 1/sqrt(in)).

    Example:
        >>> lin = nn.Linear(3, 2)
        >>> lin(autograd.ones(4, 3)).shape
        autograd.Size([4, 2])
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(
            autograd.empty((out_features, in_features), **_factory(dtype, device))
        )
        self._register_optional(
            "bias", bias, lambda: autograd.empty(out_features, **_factory(dtype, device))
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class LazyLinear(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError("LazyLinear is not supported; give in_features to nn.Linear")


class Bilinear(Module):
    """``y_k = x1 @ W_k @ x2 + b_k``; W: (out, in1, in2), init U(-1/sqrt(in1), 1/sqrt(in1)).

    Example:
        >>> nn.Bilinear(3, 4, 5)(autograd.ones(2, 3), autograd.ones(2, 4)).shape
        autograd.Size([2, 5])
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(
            autograd.empty((out_features, in1_features, in2_features), **_factory(dtype, device))
        )
        self._register_optional(
            "bias", bias, lambda: autograd.empty(out_features, **_factory(dtype, device))
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )
