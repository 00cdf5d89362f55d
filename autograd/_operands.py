"""The Python number operands of ops (the ``2.0`` of ``y * 2.0``): their shared 0-d arrays
and version counter, which ``Tensor._number`` and function.lean_binary use. tensor.py
re-exports these names.
"""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt

# The version counter of Python number operands (``Tensor._number``): a tuple, so that a
# write into one (which nothing does) would fail loudly instead of going unnoticed.
_NUMBER_CELL = (0,)

# The 0-d arrays of Python number operands (``i + 1``, ``2 * x``, ``y * 0.5``) by (value,
# NumPy dtype), made once and read-only (``Tensor._number``); bounded, since each distinct
# number adds one.
_OPERANDS: dict = {}
_OPERANDS_MAX = 1024


def _operand(value, npdtype) -> np.ndarray:
    """The 0-d array of a Python number operand (``Tensor._number``; function.lean_binary).
    The array of an int or a float is shared from _OPERANDS (read-only: no op writes into an
    operand), except zeros and nan: -0.0 == 0.0 would share one key, and every nan is a
    different key. (An int and a float of equal value, such as 2 and 2.0, share an entry:
    both convert to the same array of ``npdtype``.)"""
    kind = type(value)
    if kind is int or (kind is float and value and value == value):
        key = (value, npdtype)
        arr = _OPERANDS.get(key)
        if arr is None:
            try:
                arr = np.asarray(value, npdtype)
            except OverflowError:  # an int the integer dtype cannot hold: torch wraps it
                arr = _dt.wrapped_int(value, npdtype)
            if len(_OPERANDS) < _OPERANDS_MAX:
                arr.flags.writeable = False
                _OPERANDS[key] = arr
        return arr
    return np.asarray(value, npdtype)
