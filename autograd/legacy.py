"""Old PyTorch spellings still found in tutorials and older scripts: the typed tensor
classes (``torch.FloatTensor([1, 2])``, ``torch.LongTensor(3)``, ``isinstance(x,
torch.FloatTensor)``, ``x.type(torch.LongTensor)``) and ``torch.autograd.Variable``.

They are not separate types here: calling one makes an ordinary Tensor of its dtype, and
``isinstance`` checks the dtype, as in torch.

Example:
    >>> autograd.FloatTensor([1, 2]), autograd.LongTensor(2).shape
    (tensor([1., 2.]), autograd.Size([2]))
    >>> isinstance(autograd.zeros(2), autograd.FloatTensor)
    True
"""

from __future__ import annotations

import warnings

from . import dtypes as _dt
from .tensor import Tensor

__all__ = [
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "LongTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "BoolTensor",
    "Variable",
]


class _TypedTensorMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype


class _TypedTensor(metaclass=_TypedTensorMeta):
    dtype = None

    def __new__(cls, *args):
        from .factories import tensor, zeros

        if len(args) == 1 and not isinstance(args[0], int):
            return tensor(args[0], dtype=cls.dtype)  # from data
        return zeros(*args, dtype=cls.dtype)  # from sizes


def _typed(name, dtype):
    return _TypedTensorMeta(
        name,
        (_TypedTensor,),
        {"dtype": dtype, "__module__": __name__, "__doc__": f"Tensors of dtype {dtype}."},
    )


FloatTensor = _typed("FloatTensor", _dt.float32)
DoubleTensor = _typed("DoubleTensor", _dt.float64)
HalfTensor = _typed("HalfTensor", _dt.float16)
LongTensor = _typed("LongTensor", _dt.int64)
IntTensor = _typed("IntTensor", _dt.int32)
ShortTensor = _typed("ShortTensor", _dt.int16)
CharTensor = _typed("CharTensor", _dt.int8)
ByteTensor = _typed("ByteTensor", _dt.uint8)
BoolTensor = _typed("BoolTensor", _dt.bool_)


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(tensor, requires_grad=False)``: since PyTorch 0.4 simply the tensor (a
    leaf with ``requires_grad`` set as asked)."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                UserWarning,
                stacklevel=2,
            )
        if requires_grad:
            return (
                data.detach().requires_grad_(True)
                if data.requires_grad
                else data.requires_grad_(True)
            )
        return data
