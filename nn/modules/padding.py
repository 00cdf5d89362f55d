"""Padding layers (mirror ``torch.nn``): ``ZeroPad1d/2d/3d``, ``ConstantPad1d/2d/3d``,
``ReflectionPad1d/2d/3d``, ``ReplicationPad1d/2d/3d``, ``CircularPad1d/2d/3d``.

Each holds ``padding`` as torch does, a tuple ``(left, right, top, bottom, front, back)``
(last dim first; an int pads every side), and calls ``F.pad``. Negative amounts crop.

Example:
    >>> nn.ReflectionPad1d(2)(autograd.tensor([[[0.0, 1.0, 2.0, 3.0]]]))
    tensor([[[2., 1., 0., 1., 2., 3., 2., 1.]]])
    >>> nn.ZeroPad2d((1, 0, 0, 1))
    ZeroPad2d((1, 0, 0, 1))
"""

from __future__ import annotations

from .. import functional as F
from ..module import Module
from .utils import _ntuple

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
]


class _PadNd(Module):
    _nd = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(2 * self._nd)(padding)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``.

    Example:
        >>> nn.ConstantPad1d((1, 2), 3.5)(autograd.zeros(1, 2))
        tensor([[3.5000, 0.0000, 0.0000, 3.5000, 3.5000]])
    """


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``: ``padding = (left, right, top, bottom)``."""

    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value``: ``(left, right, top, bottom, front, back)``."""

    _nd = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dim with zeros.

    Example:
        >>> nn.ZeroPad1d(1)(autograd.ones(1, 2))
        tensor([[0., 1., 1., 0.]])
    """


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two dims with zeros: ``padding = (left, right, top, bottom)``."""

    _nd = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three dims with zeros."""

    _nd = 3


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    """Pad ``(N, C, W)`` or ``(C, W)`` with the mirror image of the input (the edge not
    repeated); each amount must be smaller than the size it pads."""


class ReflectionPad2d(_ReflectionPadNd):
    """Reflect-pad ``(N, C, H, W)`` or ``(C, H, W)``: ``padding = (left, right, top, bottom)``."""

    _nd = 2


class ReflectionPad3d(_ReflectionPadNd):
    """Reflect-pad ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""

    _nd = 3


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    """Pad ``(N, C, W)`` or ``(C, W)`` by repeating the edge values.

    Example:
        >>> nn.ReplicationPad1d((0, 2))(autograd.tensor([[1.0, 2.0]]))
        tensor([[1., 2., 2., 2.]])
    """


class ReplicationPad2d(_ReplicationPadNd):
    """Edge-repeat padding of ``(N, C, H, W)`` or ``(C, H, W)``."""

    _nd = 2


class ReplicationPad3d(_ReplicationPadNd):
    """Edge-repeat padding of ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""

    _nd = 3


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        if input.dim() not in (self._nd + 1, self._nd + 2):
            raise ValueError(
                f"expected {self._nd + 1}D or {self._nd + 2}D input (got {input.dim()}D input)"
            )
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Pad ``(N, C, W)`` or ``(C, W)`` by wrapping around (periodic boundary).

    Example:
        >>> nn.CircularPad1d(1)(autograd.tensor([[1.0, 2.0, 3.0]]))
        tensor([[3., 1., 2., 3., 1.]])
    """


class CircularPad2d(_CircularPadNd):
    """Periodic padding of ``(N, C, H, W)`` or ``(C, H, W)``."""

    _nd = 2


class CircularPad3d(_CircularPadNd):
    """Periodic padding of ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""

    _nd = 3
