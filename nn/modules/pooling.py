"""Pooling layers (mirror ``torch.nn``): ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``,
``AdaptiveMaxPool1d/2d/3d``, ``AdaptiveAvgPool1d/2d/3d``, ``MaxUnpool1d/2d/3d``,
``LPPool1d/2d/3d``.

They have no parameters: each one stores its hyper-parameters (shown by ``repr`` exactly as
PyTorch shows them) and calls the differentiable functional op in ``autograd``.

Example:
    >>> pool = nn.MaxPool2d(2)
    >>> pool
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    >>> pool(autograd.randn(1, 3, 8, 8)).shape
    autograd.Size([1, 3, 4, 4])
"""

from __future__ import annotations

import autograd

from ..module import Module
from .utils import _pair, _single, _triple

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
]


class _PoolNd(Module):
    """What the pooling layers share. Each one names its functional op in ``autograd``
    (``_op`` and ``_nd``: ``"max_pool"`` and 2 call ``autograd.max_pool2d``), the
    attributes it passes to the op after the input (``_args``, in the op's order) and the
    ones its ``repr`` shows (``_shown``, as torch shows them)."""

    _op: str
    _nd: int
    _args: tuple[str, ...]
    _shown: tuple[str, ...]

    def forward(self, input):
        return self._pool(input)

    def _pool(self, *inputs, **kwargs):
        """``autograd.<_op><_nd>d(*inputs, <the _args attributes>, **kwargs)``."""
        op = getattr(autograd, f"{self._op}{self._nd}d")
        return op(*inputs, *(getattr(self, name) for name in self._args), **kwargs)

    def extra_repr(self) -> str:
        return ", ".join(f"{name}={getattr(self, name)}" for name in self._shown)


class _MaxPoolNd(_PoolNd):
    _op = "max_pool"
    _args = ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
    _shown = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")

    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False
    ):
        super().__init__()
        # torch keeps the arguments as given (an int stays an int in the repr)
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of an ``(N, C, L)`` or ``(C, L)`` input.

    Example:
        >>> nn.MaxPool1d(2)(autograd.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
        tensor([[[3., 2.]]])
    """

    _nd = 1


class MaxPool2d(_MaxPoolNd):
    """Max over sliding 2-D windows of an ``(N, C, H, W)`` or ``(C, H, W)`` input; with
    ``return_indices=True`` also returns the flat (per-plane) index of each maximum.

    Example:
        >>> nn.MaxPool2d(2, stride=1)(autograd.randn(1, 1, 3, 3)).shape
        autograd.Size([1, 1, 2, 2])
    """

    _nd = 2


class MaxPool3d(_MaxPoolNd):
    """Max over sliding 3-D windows of an ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input.

    Example:
        >>> nn.MaxPool3d(2)(autograd.randn(1, 2, 4, 4, 4)).shape
        autograd.Size([1, 2, 2, 2, 2])
    """

    _nd = 3


class _AvgPoolNd(_PoolNd):
    _op = "avg_pool"
    _args = (
        "kernel_size",
        "stride",
        "padding",
        "ceil_mode",
        "count_include_pad",
        "divisor_override",
    )
    _shown = ("kernel_size", "stride", "padding")

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override


class AvgPool1d(_AvgPoolNd):
    """Mean over sliding windows of an ``(N, C, L)`` or ``(C, L)`` input.

    Example:
        >>> nn.AvgPool1d(2)(autograd.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
        tensor([[[2., 1.]]])
    """

    _nd = 1
    _args = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")  # no divisor

    def __init__(
        self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
    ):
        # unlike the other pools, torch stores AvgPool1d's sizes as 1-tuples
        stride = stride if stride is not None else kernel_size
        super().__init__(
            _single(kernel_size), _single(stride), _single(padding), ceil_mode, count_include_pad
        )


class AvgPool2d(_AvgPoolNd):
    """Mean over sliding 2-D windows of an ``(N, C, H, W)`` or ``(C, H, W)`` input.

    ``count_include_pad`` decides whether zero padding counts in the divisor;
    ``divisor_override`` replaces the divisor altogether.

    Example:
        >>> nn.AvgPool2d(2)(autograd.ones(1, 1, 4, 4)).shape
        autograd.Size([1, 1, 2, 2])
    """

    _nd = 2


class AvgPool3d(_AvgPoolNd):
    """Mean over sliding 3-D windows of an ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input.

    Example:
        >>> nn.AvgPool3d(2)(autograd.ones(1, 1, 4, 4, 4)).shape
        autograd.Size([1, 1, 2, 2, 2])
    """

    _nd = 3


class _AdaptiveAvgPoolNd(_PoolNd):
    _op = "adaptive_avg_pool"
    _args = _shown = ("output_size",)

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average-pool an ``(N, C, L)`` or ``(C, L)`` input to a fixed length.

    Example:
        >>> nn.AdaptiveAvgPool1d(3)(autograd.randn(2, 4, 10)).shape
        autograd.Size([2, 4, 3])
    """

    _nd = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average-pool to a fixed output size whatever the input size (``None`` keeps that
    dimension). Window i spans [floor(i*H/out), ceil((i+1)*H/out)).

    Example:
        >>> nn.AdaptiveAvgPool2d((1, 1))(autograd.randn(2, 3, 7, 5)).shape
        autograd.Size([2, 3, 1, 1])
    """

    _nd = 2


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Average-pool an ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input to a fixed size.

    Example:
        >>> nn.AdaptiveAvgPool3d((1, None, 2))(autograd.randn(2, 3, 4, 5, 6)).shape
        autograd.Size([2, 3, 1, 5, 2])
    """

    _nd = 3


class _AdaptiveMaxPoolNd(_PoolNd):
    _op = "adaptive_max_pool"
    _args = ("output_size", "return_indices")
    _shown = ("output_size",)

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max-pool an ``(N, C, L)`` or ``(C, L)`` input to a fixed length.

    Example:
        >>> nn.AdaptiveMaxPool1d(2)(autograd.tensor([[[1.0, 4.0, 3.0, 2.0]]]))
        tensor([[[4., 3.]]])
    """

    _nd = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max-pool to a fixed output size (``None`` keeps that dimension); with
    ``return_indices=True`` also the flat (h * W + w) index of each maximum.

    Example:
        >>> nn.AdaptiveMaxPool2d(1)(autograd.randn(2, 3, 7, 5)).shape
        autograd.Size([2, 3, 1, 1])
    """

    _nd = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max-pool an ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input to a fixed size.

    Example:
        >>> nn.AdaptiveMaxPool3d(2)(autograd.randn(1, 3, 4, 5, 6)).shape
        autograd.Size([1, 3, 2, 2, 2])
    """

    _nd = 3


class _MaxUnpoolNd(_PoolNd):
    _op = "max_unpool"
    _args = _shown = ("kernel_size", "stride", "padding")

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        tup = {1: _single, 2: _pair, 3: _triple}[self._nd]
        self.kernel_size = tup(kernel_size)
        self.stride = tup(stride if stride is not None else kernel_size)
        self.padding = tup(padding)

    def forward(self, input, indices, output_size=None):
        return self._pool(input, indices, output_size=output_size)


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of ``MaxPool1d``: ``forward(input, indices, output_size=None)``
    puts each value back where ``MaxPool1d(..., return_indices=True)`` found it.

    Example:
        >>> pool, unpool = nn.MaxPool1d(2, return_indices=True), nn.MaxUnpool1d(2)
        >>> unpool(*pool(autograd.tensor([[[1.0, 3.0, 2.0, 0.0]]])))
        tensor([[[0., 3., 2., 0.]]])
    """

    _nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of ``MaxPool2d`` (zeros where the maxima were not).

    Example:
        >>> pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
        >>> unpool(*pool(autograd.randn(1, 1, 4, 4))).shape
        autograd.Size([1, 1, 4, 4])
    """

    _nd = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """The partial inverse of ``MaxPool3d``.

    Example:
        >>> pool, unpool = nn.MaxPool3d(2, return_indices=True), nn.MaxUnpool3d(2)
        >>> unpool(*pool(autograd.randn(1, 1, 4, 4, 4))).shape
        autograd.Size([1, 1, 4, 4, 4])
    """

    _nd = 3


class _LPPoolNd(_PoolNd):
    _op = "lp_pool"
    _args = ("kernel_size", "stride", "ceil_mode")
    _shown = ("norm_type", "kernel_size", "stride", "ceil_mode")

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return self._pool(input, float(self.norm_type))


class LPPool1d(_LPPoolNd):
    """Power-average pooling: the p-norm of each window of an ``(N, C, L)`` input
    (p = 1: sum pooling, p = inf: max pooling of |x|).

    Example:
        >>> nn.LPPool1d(2, 2)(autograd.tensor([[[3.0, 4.0, 1.0, 0.0]]]))
        tensor([[[5., 1.]]])
    """

    _nd = 1


class LPPool2d(_LPPoolNd):
    """Power-average pooling over ``(N, C, H, W)`` windows.

    Example:
        >>> nn.LPPool2d(2, 2)(autograd.ones(1, 1, 4, 4))
        tensor([[[[2., 2.],
                  [2., 2.]]]])
    """

    _nd = 2


class LPPool3d(_LPPoolNd):
    """Power-average pooling over ``(N, C, D, H, W)`` windows.

    Example:
        >>> nn.LPPool3d(1, 2)(autograd.ones(1, 1, 2, 2, 2))
        tensor([[[[[8.]]]]])
    """

    _nd = 3
