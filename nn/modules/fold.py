"""``Fold`` and ``Unfold`` (mirror ``torch.nn``): sliding blocks to columns (im2col) and
back (col2im, overlaps summed).

Example:
    >>> nn.Unfold(kernel_size=2)(autograd.ones(1, 3, 4, 4)).shape
    autograd.Size([1, 12, 9])
"""

from __future__ import annotations

import autograd

from ..module import Module

__all__ = ["Fold", "Unfold"]


class _SlidingBlocks(Module):
    """What Fold and Unfold share: the blocks' kernel_size, dilation, padding and stride."""

    def __init__(self, kernel_size, dilation, padding, stride):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def extra_repr(self) -> str:
        return (
            "kernel_size={kernel_size}, dilation={dilation}, padding={padding}, "
            "stride={stride}".format(**self.__dict__)
        )


class Fold(_SlidingBlocks):
    """(N, C * prod(kernel_size), L) -> (N, C, *output_size), summing overlapping blocks."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__(kernel_size, dilation, padding, stride)
        self.output_size = output_size

    def forward(self, input):
        return autograd.fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, " + super().extra_repr()


class Unfold(_SlidingBlocks):
    """(N, C, H, W) -> (N, C * prod(kernel_size), L): every sliding block as a column."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__(kernel_size, dilation, padding, stride)

    def forward(self, input):
        return autograd.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)
