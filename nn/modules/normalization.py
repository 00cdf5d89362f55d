"""BatchNorm1d/2d/3d, LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm."""

from __future__ import annotations

import autograd

from .. import functional as F
from .. import init
from ..module import Module

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "LayerNorm",
    "GroupNorm",
    "RMSNorm",
    "LocalResponseNorm",
]


def _kw(dtype, device=None):
    return {"dtype": dtype, "device": device}


def _shape(normalized_shape) -> tuple:
    """``normalized_shape`` as a tuple (an int n is ``(n,)``)."""
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(normalized_shape)


def _affine_parameters(module, affine, bias, shape, dtype, device):
    """A norm layer's ``weight`` (ones) and ``bias`` (zeros) of ``shape``, each None when off."""
    module._register_optional("weight", affine, lambda: autograd.ones(shape, **_kw(dtype, device)))
    module._register_optional(
        "bias", affine and bias, lambda: autograd.zeros(shape, **_kw(dtype, device))
    )


class _BatchNorm(Module):
    _expected_dims: tuple = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats, self._has_bias = affine, track_running_stats, bias
        _affine_parameters(self, affine, bias, num_features, dtype, device)
        if track_running_stats:
            self.register_buffer("running_mean", autograd.zeros(num_features, **_kw(dtype, device)))
            self.register_buffer("running_var", autograd.ones(num_features, **_kw(dtype, device)))
            self.register_buffer("num_batches_tracked", autograd.tensor(0, dtype=autograd.long))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):
        if input.dim() not in self._expected_dims:
            raise ValueError(
                f"expected {' or '.join(f'{d}D' for d in self._expected_dims)} input "
                f"(got {input.dim()}D input)"
            )

    def _check_input(self, input):
        self._check_input_dim(input)
        if input.dim() >= 2 and input.shape[1] != self.num_features:
            raise autograd.ShapeError(
                f"{type(self).__name__}: expected input with {self.num_features} channels at dim 1, "
                f"got shape {list(input.shape)}"
            )

    def _update_factor(self) -> float:
        """The weight of this batch in the running statistics. A training batch is counted
        first (``num_batches_tracked``); ``momentum=None`` then gives 1 / batches so far, the
        cumulative moving average."""
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data[...] += 1
            self.num_batches_tracked._bump_version()
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        return factor

    def forward(self, input):
        self._check_input(input)
        factor = self._update_factor()
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) input; weight=1, bias=0 initially.

    Example:
        >>> bn = nn.BatchNorm1d(3)
        >>> bn(autograd.randn(8, 3)).shape
        autograd.Size([8, 3])
        >>> int(bn.num_batches_tracked)
        1
    """

    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) input, per channel."""

    _expected_dims = (4,)


class BatchNorm3d(_BatchNorm):
    _expected_dims = (5,)


class LayerNorm(Module):
    """Normalise the trailing ``normalized_shape`` dims; weight=1, bias=0 initially.

    Example:
        >>> nn.LayerNorm(4)(autograd.randn(2, 4)).shape
        autograd.Size([2, 4])
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps, self.elementwise_affine, self._has_bias = eps, elementwise_affine, bias
        _affine_parameters(self, elementwise_affine, bias, self.normalized_shape, dtype, device)

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self._has_bias}"
        )


class GroupNorm(Module):
    """Normalise groups of channels; weight=1, bias=0 initially.

    Example:
        >>> nn.GroupNorm(2, 4)(autograd.randn(3, 4, 5)).shape
        autograd.Size([3, 4, 5])
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps = num_groups, num_channels, eps
        self.affine, self._has_bias = affine, bias
        _affine_parameters(self, affine, bias, num_channels, dtype, device)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self._has_bias}"
        )

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)


class RMSNorm(Module):
    """``x / rms(x) * weight`` over the trailing dims (eps None = the dtype's epsilon).

    Example:
        >>> nn.RMSNorm(4)(autograd.randn(2, 4)).shape
        autograd.Size([2, 4])
    """

    def __init__(
        self,
        normalized_shape,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self._register_optional(
            "weight",
            elementwise_affine,
            lambda: autograd.ones(self.normalized_shape, **_kw(dtype, device)),
        )

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class LocalResponseNorm(Module):
    """Divide each element by ``(k + alpha * mean of x**2 over size neighbouring channels)
    ** beta`` (AlexNet).

    Example:
        >>> nn.LocalResponseNorm(2)(autograd.randn(1, 4, 3, 3)).shape
        autograd.Size([1, 4, 3, 3])
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return "{size}, alpha={alpha}, beta={beta}, k={k}".format(**self.__dict__)
