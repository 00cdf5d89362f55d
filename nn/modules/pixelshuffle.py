"""``PixelShuffle`` and ``PixelUnshuffle`` (mirror ``torch.nn``): channels and space
exchanged by a reshape and a permutation (``ChannelShuffle`` is in channelshuffle.py, as in torch).

Example:
    >>> nn.PixelShuffle(2)(autograd.zeros(1, 8, 3, 3)).shape
    autograd.Size([1, 2, 6, 6])
"""

from __future__ import annotations

import autograd

from ..module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    """(*, C r^2, H, W) -> (*, C, H r, W r): sub-pixel convolution upsampling."""

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return autograd.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of ``PixelShuffle``."""

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return autograd.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
