"""``_single``/``_pair``/``_triple``/``_quadruple``: a number or a sequence as an n-tuple
(``torch.nn.modules.utils``; layers use them for kernel sizes, strides, padding).

Example:
    >>> from nn.modules.utils import _pair
    >>> _pair(3), _pair((1, 2))
    ((3, 3), (1, 2))
"""

__all__ = []


def _ntuple(n):
    def parse(x):
        if isinstance(x, (tuple, list)):
            return tuple(x)
        return (x,) * n

    return parse


_single = _ntuple(1)
_pair = _ntuple(2)
_triple = _ntuple(3)
_quadruple = _ntuple(4)
