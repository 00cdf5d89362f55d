"""Sliding windows, shared by convolution (conv.py) and pooling (pooling.py): argument
normalisation (ints or tuples, output sizes) and the two array routines everything is built
on, with their GEMM-ready forms.

* ``_im2col``: a strided *view* of every kernel window, shape (N, C, kh, kw, Ho, Wo), made
  with ``sliding_window_view`` (no copy until a reshape feeds it to BLAS);
* ``_col2im``: its adjoint, adding window values back into an image (kh * kw slice-adds).

On the numba backend ``_im2col_matrix`` / ``_col2im_matrix`` run the Numba kernels of
``autograd/kernels/conv.py`` instead: one pass each, padding handled in the loop.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import dispatch
from . import xp as _xp


# ---- argument normalisation ---------------------------------------------------------------------
def _ntuple(value, n: int, name: str, opname: str) -> tuple:
    """An int or a sequence of 1 or ``n`` ints -> a tuple of ``n`` ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    try:
        vals = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(
            f"{opname}: {name} must be an int or a tuple of {n} ints, got {value!r}"
        ) from None
    if len(vals) == 1:
        return vals * n
    if len(vals) != n:
        raise ValueError(
            f"{opname}: expected {name} to be a single integer value or a list of "
            f"{n} values to match the convolution dimensions, but got "
            f"{name}={list(vals)}"
        )
    return vals


def _out_size(size, k, s, lo, hi, d):
    """Number of windows along one dim: floor((size + pads - d (k - 1) - 1) / s) + 1."""
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def _window_args(kernel, stride, pads, dilation) -> tuple:
    """A 2-D window as the Numba kernels take it (im2col, col2im, the max-pool argmax):
    kh, kw, stride h, stride w, top pad, left pad, dilation h, dilation w."""
    (kh, kw), (sh, sw), (dh, dw) = kernel[:2], stride[:2], dilation[:2]
    return kh, kw, sh, sw, pads[0][0], pads[1][0], dh, dw


def define_window_xp(name: str, numpy, op, params: tuple) -> None:
    """``xp.<name>(x, *args)`` for the window ops' VJPs: ``numpy`` on arrays, and on Tensors
    ``op`` (a recorded, differentiable node) with ``args`` as its keyword ``params``, so that a
    create_graph backward can differentiate the window sum / im2col pair again."""

    def on_tensors(x, *args):
        return op.apply(x, **dict(zip(params, args)))

    _xp.define(name, numpy=numpy, tensor=on_tensors)


# ---- array routines (NumPy reference; a Numba kernel can replace each) -------------------------
# Written for any number of spatial dims (1-D ops insert a height-1 axis and use the 2-D
# path; 3-D ops use these directly). ``pads`` is per side: ((lo, hi), ...) per spatial dim.
def _pad_nd(x, pads, value=0.0):
    if not any(lo or hi for lo, hi in pads):
        return x
    return np.pad(x, ((0, 0), (0, 0)) + tuple(pads), constant_values=value)


def _im2col(x, kernel, stride, pads, dilation, value=0.0, out_hw=None):
    """Every kernel window of the padded input as a strided view (N, C, *kernel, *out),
    e.g. (N, C, kh, kw, Ho, Wo) in 2-D.

    ``out_hw`` keeps only the first windows: the adjoint of a transposed convolution whose
    output_padding left rows that no input window reaches."""
    nd = len(kernel)
    xp_ = _pad_nd(x, pads, value)
    if out_hw is None:
        out_hw = tuple(
            _out_size(n, k, s, lo, hi, d)
            for n, k, s, (lo, hi), d in zip(x.shape[2:], kernel, stride, pads, dilation)
        )
    span = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation))
    win = sliding_window_view(xp_, span, axis=tuple(range(2, 2 + nd)))  # (N, C, *pos, *span)
    win = win[
        (slice(None),) * 2
        + tuple(slice(None, None, s) for s in stride)
        + tuple(slice(None, None, d) for d in dilation)
    ]
    win = win[(slice(None),) * 2 + tuple(slice(0, o) for o in out_hw)]  # (N, C, *out, *kernel)
    return win.transpose((0, 1) + tuple(range(2 + nd, 2 + 2 * nd)) + tuple(range(2, 2 + nd)))


def _col2im(cols, in_hw, stride, pads, dilation):
    """Adjoint of ``_im2col``: add window values (N, C, *kernel, *out) into an (N, C, *in_hw)
    input; overlapping windows accumulate (one strided slice-add per kernel tap)."""
    nd = len(in_hw)
    n, c = cols.shape[:2]
    kernel, out = cols.shape[2 : 2 + nd], cols.shape[2 + nd :]
    out_arr = np.zeros((n, c) + tuple(h + lo + hi for h, (lo, hi) in zip(in_hw, pads)), cols.dtype)
    for tap in itertools.product(*(range(k) for k in kernel)):
        where = tuple(
            slice(i * d, i * d + s * (o - 1) + 1, s)
            for i, d, s, o in zip(tap, dilation, stride, out)
        )
        out_arr[(slice(None),) * 2 + where] += cols[(slice(None),) * 2 + tap]
    return out_arr[(slice(None),) * 2 + tuple(slice(lo, lo + h) for h, (lo, _) in zip(in_hw, pads))]


def _im2col_matrix(x, kernel, stride, pads, dilation, out_hw=None, out=None):
    """The windows as per-sample matrices (N, C*kh*kw, Ho*Wo), contiguous, ready for GEMM:
    row (c*kh + i)*kw + j, column a*Wo + b. The Numba kernel writes it in one pass (padding
    included); the reference copies the strided view ``_im2col``.

    ``out``: write into this (N, C*kh*kw, Ho*Wo) array instead, e.g. the (n, k, l) view of a
    batch-major (C*kh*kw, N*Ho*Wo) matrix (conv.py's small convolutions)."""
    k = dispatch.kernels("conv", x)
    n, c = x.shape[:2]
    kk = c * kernel[0] * kernel[1]
    if k is None:
        cols = _im2col(x, kernel, stride, pads, dilation, out_hw=out_hw)
        cols = cols.reshape(n, kk, cols.shape[-2] * cols.shape[-1])
        if out is None:
            return cols
        out[...] = cols
        return out
    if out_hw is None:
        out_hw = (
            _out_size(x.shape[2], kernel[0], stride[0], *pads[0], dilation[0]),
            _out_size(x.shape[3], kernel[1], stride[1], *pads[1], dilation[1]),
        )
    ho, wo = out_hw
    cols = k.empty((n, kk, ho * wo), x.dtype) if out is None else out
    k.im2col(np.ascontiguousarray(x), *_window_args(kernel, stride, pads, dilation), ho, wo, cols)
    return cols


def _col2im_matrix(cols, c, in_hw, kernel, out_hw, stride, pads, dilation):
    """Adjoint of ``_im2col_matrix``: per-sample (N, C*kh*kw, Ho*Wo) window values added
    back into an (N, C, H, W) image. ``cols`` may also be the (n, k, l) view of a batch-major
    matrix (unit stride along l; the kernel reads it in place)."""
    n = cols.shape[0]
    kh, kw = kernel
    k = dispatch.kernels("conv", cols)
    if k is None:
        return _col2im(cols.reshape(n, c, kh, kw, *out_hw), in_hw, stride, pads, dilation)
    out = k.zeros((n, c) + tuple(in_hw), cols.dtype)
    if cols.strides[-1] != cols.itemsize:
        cols = np.ascontiguousarray(cols)
    k.col2im(cols, *_window_args(kernel, stride, pads, dilation), *out_hw, out)
    return out
