"""``autograd.backends``: the flags of ``torch.backends`` that scripts read and set.

Not to be confused with ``autograd.backend`` (singular), which selects jitgrad's own
``numba`` / ``numpy`` compute path. These mirror torch's CPU build: ``cudnn`` and ``mps`` are
unavailable, and their flags (``cudnn.benchmark``, ``cudnn.deterministic``,
``cuda.matmul.allow_tf32`` ...) can be read and set but change nothing, since there is no GPU
whose algorithms they would select.

Example:
    >>> import autograd.backends.cudnn as cudnn
    >>> cudnn.benchmark = True          # the classic training-script line: harmless here
    >>> autograd.backends.mps.is_available(), cudnn.is_available()
    (False, False)
"""

from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp"]
