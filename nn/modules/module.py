"""``torch.nn.modules.module``: where torch keeps ``Module`` (here it is ``nn/module.py``)."""

from ..module import Module, RemovableHandle  # noqa: F401

__all__ = ["Module"]
