"""``ChannelShuffle`` (``torch.nn.modules.channelshuffle``): ShuffleNet's channel interleave.

Example:
    >>> nn.ChannelShuffle(2)(autograd.arange(4.0).reshape(1, 4, 1)).flatten()
    tensor([0., 2., 1., 3.])
"""

from __future__ import annotations

import autograd

from ._simple import _Applies

__all__ = ["ChannelShuffle"]


class ChannelShuffle(_Applies):
    """Interleave the channels of ``groups`` groups (ShuffleNet)."""

    function = staticmethod(autograd.channel_shuffle)

    def __init__(self, groups: int):
        super().__init__(groups=groups)
