"""Max-pooling kernels: window arg-max in one pass, and the gather / scatter-add by flat
index that max pooling's forward and backward are made of (see autograd/ops/pooling.py).

Semantics match the NumPy reference exactly: windows are scanned in (ki, kj) order, the
first maximum wins ties, NaN beats everything (first NaN wins), and positions in the
padding count as -inf with their index clamped into the image.
"""

from __future__ import annotations

import math

import numba

from .buffers import empty  # noqa: F401  (re-exported: ops/pooling.py's large arrays)
from .parallel import kernel


def supports(*arrays) -> bool:
    """True when the kernels handle these arrays: float32 or float64 data."""
    return all(a.dtype.kind == "f" and a.dtype.itemsize in (4, 8) for a in arrays)


@kernel
def maxpool2d_argmax(x, kh, kw, sh, sw, ph, pw, dh, dw, out, idx):
    """x: (N*C, H, W); out/idx: (N*C, Ho, Wo) window maxima and their flat h*W+w indices."""
    planes, h, w = x.shape
    ho, wo = out.shape[1], out.shape[2]
    for p in numba.prange(planes):
        for a in range(ho):
            for b in range(wo):
                best = -math.inf
                best_i = -1
                for i in range(kh):
                    r = a * sh + i * dh - ph
                    rc = min(max(r, 0), h - 1)
                    for j in range(kw):
                        c = b * sw + j * dw - pw
                        cc = min(max(c, 0), w - 1)
                        v = x[p, r, c] if (0 <= r < h and 0 <= c < w) else -math.inf
                        # every NaN replaces the best so far: the last NaN wins, as in torch
                        if best_i < 0 or v > best or v != v:
                            best = v
                            best_i = rc * w + cc
                out[p, a, b] = best
                idx[p, a, b] = best_i


@kernel
def maxpool2d_2x2(x, out, idx):
    """``maxpool2d_argmax`` for the most common pool, 2x2 windows at stride 2 that lie inside
    the image (no padding, no dilation): the same scan order and NaN rule, with the four
    comparisons written out as selects. The general kernel's bounds checks and short
    window loops keep LLVM from doing that and cost several times the comparisons."""
    planes, h, w = x.shape
    ho, wo = out.shape[1], out.shape[2]
    for p in numba.prange(planes):
        for a in range(ho):
            r = 2 * a
            for b in range(wo):
                c = 2 * b
                best = x[p, r, c]
                best_i = r * w + c
                v = x[p, r, c + 1]
                t = v > best or v != v  # (a NaN replaces the best so far, as above)
                best, best_i = (v, best_i + 1) if t else (best, best_i)
                v = x[p, r + 1, c]
                t = v > best or v != v
                best, best_i = (v, (r + 1) * w + c) if t else (best, best_i)
                v = x[p, r + 1, c + 1]
                t = v > best or v != v
                best, best_i = (v, (r + 1) * w + c + 1) if t else (best, best_i)
                out[p, a, b] = best
                idx[p, a, b] = best_i


@kernel
def gather_flat(x, index, out):
    """out[p, k] = x[p, index[p, k]] for (planes, n) arrays."""
    planes, n = index.shape
    for p in numba.prange(planes):
        for k in range(n):
            out[p, k] = x[p, index[p, k]]


@kernel
def scatter_add_flat_zeroed(g, index, out):
    """out[p, index[p, k]] += g[p, k] for (planes, n) arrays, into an uninitialised ``out``:
    each plane is zeroed right before its adds (one pass over memory instead of a zeroing
    pass and then the adds, the plane still in cache). Each plane is written by one
    iteration only, so the parallel build is race-free."""
    planes, n = index.shape
    zero = out.dtype.type(0.0)
    for p in numba.prange(planes):
        for q in range(out.shape[1]):
            out[p, q] = zero
        for k in range(n):
            out[p, index[p, k]] += g[p, k]
