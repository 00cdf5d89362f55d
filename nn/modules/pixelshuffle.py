"""``PixelShuffle`` and ``PixelUnshuffle`` (mirror ``torch.nn``): channels and space
exchanged by a reshape and a permutation (``ChannelShuffle`` is in channelshuffle.py, as in torch).

Example:
    >>> nn.PixelShuffle(2)(autograd.zeros(1, 8, 3, 3)).shape
    autograd.Size([1, 2, 6, 6])
"""

from __future__ import annotations

import autograd

from ._simple import _Applies

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(_Applies):
    """(*, C r^2, H, W) -> (*, C, H r, W r): sub-pixel convolution upsampling."""

    function = staticmethod(autograd.pixel_shuffle)

    def __init__(self, upscale_factor: int):
        super().__init__(upscale_factor=upscale_factor)


class PixelUnshuffle(_Applies):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of ``PixelShuffle``."""

    function = staticmethod(autograd.pixel_unshuffle)

    def __init__(self, downscale_factor: int):
        super().__init__(downscale_factor=downscale_factor)
