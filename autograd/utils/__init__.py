"""Utilities (mirrors ``torch.utils``): ``autograd.utils.data``."""

from . import data
