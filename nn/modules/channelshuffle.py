"""``ChannelShuffle`` (``torch.nn.modules.channelshuffle``): ShuffleNet's channel interleave.

Example:
    >>> nn.ChannelShuffle(2)(autograd.arange(4.0).reshape(1, 4, 1)).flatten()
    tensor([0., 2., 1., 3.])
"""

from __future__ import annotations

import autograd

from ..module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """Interleave the channels of ``groups`` groups (ShuffleNet)."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return autograd.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
