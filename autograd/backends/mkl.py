"""``torch.backends.mkl``: not used by jitgrad (NumPy's BLAS and Numba do the work)."""

enabled = False


def is_available() -> bool:
    return False
