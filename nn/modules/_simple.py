"""``_Applies``: the base of the layers that only keep their constructor arguments and apply
one function (most activations, ``PixelShuffle``, ``ChannelShuffle``).

Such a layer is three facts: which function, which arguments, in which order. The base class
holds the two methods that follow from them, so each layer states only those facts (its
``__init__`` still spells out its own signature, so ``help()`` and editors show it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..module import Module

__all__: list[str] = []


class _Applies(Module):
    """A parameter-free layer: ``forward(input)`` is ``function(input, *arguments)``.

    A subclass sets ``function`` (as a ``staticmethod``) and passes its arguments to
    ``super().__init__`` by keyword, in the order ``function`` takes them after the input.
    Each becomes an attribute of that name, and ``extra_repr`` lists them as ``name=value``
    as torch prints them (strings quoted, ``inplace`` only when it is true).

    Example:
        >>> class Scale(_Applies):
        ...     function = staticmethod(autograd.mul)
        ...
        ...     def __init__(self, factor: float = 2.0):
        ...         super().__init__(factor=factor)
        >>> Scale(3.0)
        Scale(factor=3.0)
        >>> Scale(3.0)(autograd.tensor([1.0, 2.0]))
        tensor([3., 6.])
    """

    function: Callable[..., Any]

    def __init__(self, **arguments: Any):
        super().__init__()
        self._argument_names = tuple(arguments)
        for name, value in arguments.items():
            setattr(self, name, value)

    def forward(self, input):
        return self.function(input, *(getattr(self, name) for name in self._argument_names))

    def extra_repr(self) -> str:
        shown = []
        for name in self._argument_names:
            value = getattr(self, name)
            if name == "inplace":
                if value:
                    shown.append("inplace=True")
            elif isinstance(value, str):
                shown.append(f"{name}={value!r}")
            else:
                shown.append(f"{name}={value}")
        return ", ".join(shown)
