"""Pooling layers: ``MaxPool1d/2d``, ``AvgPool1d/2d``, ``AdaptiveAvgPool2d`` (mirror ``torch.nn``).

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
from .conv import _single

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool2d"]


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        # torch keeps the arguments as given (an int stays an int in the repr)
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return ("kernel_size={kernel_size}, stride={stride}, padding={padding}, "
                "dilation={dilation}, ceil_mode={ceil_mode}".format(**self.__dict__))


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of an ``(N, C, L)`` or ``(C, L)`` input.

    Example:
        >>> nn.MaxPool1d(2)(autograd.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
        tensor([[[3., 2.]]])
    """

    def forward(self, input):
        return autograd.max_pool1d(input, self.kernel_size, self.stride, self.padding,
                                   self.dilation, ceil_mode=self.ceil_mode,
                                   return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """Max over sliding 2-D windows of an ``(N, C, H, W)`` or ``(C, H, W)`` input; with
    ``return_indices=True`` also returns the flat (per-plane) index of each maximum.

    Example:
        >>> nn.MaxPool2d(2, stride=1)(autograd.randn(1, 1, 3, 3)).shape
        autograd.Size([1, 1, 2, 2])
    """

    def forward(self, input):
        return autograd.max_pool2d(input, self.kernel_size, self.stride, self.padding,
                                   self.dilation, ceil_mode=self.ceil_mode,
                                   return_indices=self.return_indices)


class AvgPool1d(Module):
    """Mean over sliding windows of an ``(N, C, L)`` or ``(C, L)`` input.

    Example:
        >>> nn.AvgPool1d(2)(autograd.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
        tensor([[[2., 1.]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        # unlike the other pools, torch stores AvgPool1d's sizes as 1-tuples
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input):
        return autograd.avg_pool1d(input, self.kernel_size, self.stride, self.padding,
                                   self.ceil_mode, self.count_include_pad)


class AvgPool2d(Module):
    """Mean over sliding 2-D windows of an ``(N, C, H, W)`` or ``(C, H, W)`` input.

    ``count_include_pad`` decides whether zero padding counts in the divisor;
    ``divisor_override`` replaces the divisor altogether.

    Example:
        >>> nn.AvgPool2d(2)(autograd.ones(1, 1, 4, 4)).shape
        autograd.Size([1, 1, 2, 2])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input):
        return autograd.avg_pool2d(input, self.kernel_size, self.stride, self.padding,
                                   self.ceil_mode, self.count_include_pad,
                                   self.divisor_override)


class AdaptiveAvgPool2d(Module):
    """Average-pool to a fixed output size whatever the input size (``None`` keeps that
    dimension). Window i spans [floor(i*H/out), ceil((i+1)*H/out)).

    Example:
        >>> nn.AdaptiveAvgPool2d((1, 1))(autograd.randn(2, 3, 7, 5)).shape
        autograd.Size([2, 3, 1, 1])
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"

    def forward(self, input):
        return autograd.adaptive_avg_pool2d(input, self.output_size)
