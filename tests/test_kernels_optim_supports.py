"""The optimizer kernels' cheap ``supports`` check (one ``flags.carray`` look-up per array in
the common case) gives the answer of the rule it stands for, on every kind of array that
breaks the fast scan."""

import numpy as np
import pytest

from autograd.kernels import optim as K


# ---- the kernels' supports check -----------------------------------------------------
def _reference_supports(*arrays):
    """The rule, spelled out: one float32/float64 dtype, all C-contiguous, all but the
    gradient (``arrays[1]``) writeable."""
    dt = arrays[0].dtype
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        return False
    return all(
        a.dtype == dt and a.flags.c_contiguous and (k == 1 or a.flags.writeable)
        for k, a in enumerate(arrays)
    )


def _unaligned(n, dtype):
    raw = np.zeros(n * np.dtype(dtype).itemsize + 1, np.uint8)
    a = raw[1:].view(dtype)
    assert not a.flags.aligned
    return a


def _read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


def _supports_cases():
    z = np.zeros(6, np.float32)
    d = np.zeros(6, np.float64)
    h = np.zeros(6, np.float16)
    strided = np.zeros(12, np.float32)[::2]
    fortran = np.asfortranarray(np.zeros((2, 3), np.float32))
    return {
        "plain": (z, z.copy(), z.copy(), z.copy()),
        "float64": (d, d.copy(), d.copy()),
        "float16": (h, h.copy(), h.copy()),
        "mixed": (z, z.copy(), d),
        "read-only grad": (z, _read_only(z), z.copy()),
        # the gradient breaks the fast scan; the last array's dtype must still be checked
        "read-only grad, then float64": (z, _read_only(z), z.copy(), d),
        "read-only param": (_read_only(z), z.copy(), z.copy()),
        "read-only state": (z, z.copy(), _read_only(z)),
        "strided grad": (z, strided, z.copy()),
        "strided state": (z, z.copy(), strided),
        "fortran": (fortran, fortran.copy(order="F"), fortran.copy(order="F")),
        "unaligned grad": (z, _unaligned(6, np.float32), z.copy()),
        "unaligned param": (_unaligned(6, np.float32), z.copy(), z.copy()),
        "unaligned state, then float64": (z, z.copy(), _unaligned(6, np.float32), d),
        "int": (np.zeros(6, np.int64),) * 3,
    }


@pytest.mark.parametrize("case", list(_supports_cases()))
def test_supports_gives_the_rule_s_answer(case):
    arrays = _supports_cases()[case]
    assert K.supports(*arrays) == _reference_supports(*arrays)
