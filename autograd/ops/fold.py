"""Sliding blocks and pixel rearrangements (``torch.nn.functional`` names): unfold / fold
(im2col / col2im), pixel_shuffle / pixel_unshuffle, channel_shuffle.

``unfold`` and ``fold`` are each other's adjoint, so each one's VJP is the other and
gradients of any order work; they share the window routines of ``_windows.py`` (Numba
kernels on the numba backend) with the convolutions. The pixel rearrangements are reshapes
and permutations of the input, differentiable through those ops.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..function import Op
from ..forward_ad import linear_jvp
from ..tensor import Tensor
from ._util import float_input
from ._windows import (
    _col2im_matrix,
    _im2col_matrix,
    _ntuple,
    _out_size,
    _pad_nd,
    define_window_xp,
)
from .registry import register_functions
from .samples import normal, shaped_samples

__all__ = ["channel_shuffle", "fold", "pixel_shuffle", "pixel_unshuffle", "unfold"]


# ---- unfold / fold (im2col / col2im) -------------------------------------------------------------
class Im2Col(Op):
    """(N, C, H, W) -> (N, C*kh*kw, L) sliding blocks; VJP: fold (col2im)."""

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, x, kernel, dilation, pads, stride):
        cols = _im2col_matrix(x, kernel, stride, pads, dilation)
        ctx.args = (tuple(x.shape[2:]), kernel, dilation, pads, stride)  # fold's arguments
        return cols

    @staticmethod
    def backward(ctx, g, xp):
        return xp.col2im(g, *ctx.args)


class Col2Im(Op):
    """(N, C*kh*kw, L) -> (N, C, H, W), summing overlaps; VJP: unfold (im2col)."""

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, cols, out_hw, kernel, dilation, pads, stride):
        x = _np_col2im_blocks(cols, out_hw, kernel, dilation, pads, stride)
        ctx.args = (kernel, dilation, pads, stride)  # unfold's arguments
        return x

    @staticmethod
    def backward(ctx, g, xp):
        return xp.im2col(g, *ctx.args)


def _blocks(out_hw, kernel, dilation, pads, stride):
    return tuple(
        _out_size(n, k, s, lo, hi, d)
        for n, k, s, (lo, hi), d in zip(out_hw, kernel, stride, pads, dilation)
    )


def _np_col2im_blocks(cols, out_hw, kernel, dilation, pads, stride):
    ckk = cols.shape[1]
    ho, wo = _blocks(out_hw, kernel, dilation, pads, stride)
    c = ckk // (kernel[0] * kernel[1])
    return _col2im_matrix(cols, c, out_hw, kernel, (ho, wo), stride, pads, dilation)


def _np_im2col_blocks(x, kernel, dilation, pads, stride):
    return _im2col_matrix(x, kernel, stride, pads, dilation)


define_window_xp("im2col", _np_im2col_blocks, Im2Col, ("kernel", "dilation", "pads", "stride"))
define_window_xp(
    "col2im", _np_col2im_blocks, Col2Im, ("out_hw", "kernel", "dilation", "pads", "stride")
)


def _fold_args(kernel_size, dilation, padding, stride, opname):
    k = _ntuple(kernel_size, 2, "kernel_size", opname)
    d = _ntuple(dilation, 2, "dilation", opname)
    p = _ntuple(padding, 2, "padding", opname)
    s = _ntuple(stride, 2, "stride", opname)
    if any(v <= 0 for v in k + d + s):
        raise ValueError(
            f"{opname}: kernel_size, dilation and stride must be greater than zero, "
            f"but got kernel_size={k}, dilation={d}, stride={s}"
        )
    if any(v < 0 for v in p):
        raise ValueError(f"{opname}: padding must be non-negative, but got padding={p}")
    return k, d, tuple((v, v) for v in p), s


def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding blocks (im2col): (N, C, H, W) -> (N, C * kh * kw, L).

    Example:
        >>> autograd.unfold(autograd.ones(1, 2, 3, 3), 2).shape
        autograd.Size([1, 8, 4])
    """
    from .movement import squeeze, unsqueeze

    float_input(input, "unfold")
    if input.ndim not in (3, 4):
        raise ShapeError(
            f"Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)"
        )
    k, d, pads, s = _fold_args(kernel_size, dilation, padding, stride, "unfold")
    unbatched = input.ndim == 3
    x = unsqueeze(input, 0) if unbatched else input
    blocks = _blocks(x.shape[2:], k, d, pads, s)
    if any(b < 1 for b in blocks):
        raise ShapeError(
            f"Given input with spatial size {tuple(x.shape[2:])}, kernel_size={k}, "
            f"dilation={d}, padding={tuple(p for p, _ in pads)}, calculated shape of "
            f"the array of sliding blocks as {blocks}, but its components must be at "
            f"least one."
        )
    y = Im2Col.apply(x, kernel=k, dilation=d, pads=pads, stride=s)
    return squeeze(y, 0) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Combine sliding blocks into an image (col2im; overlaps are summed), the adjoint of
    ``unfold``: (N, C * kh * kw, L) -> (N, C, *output_size).

    Example:
        >>> autograd.fold(autograd.ones(1, 4, 4), (3, 3), 2).shape
        autograd.Size([1, 1, 3, 3])
    """
    from .movement import squeeze, unsqueeze

    float_input(input, "fold")
    if input.ndim not in (2, 3):
        raise ShapeError(
            f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are "
            f"supported (got {input.ndim}D)"
        )
    out_hw = _ntuple(output_size, 2, "output_size", "fold")
    k, d, pads, s = _fold_args(kernel_size, dilation, padding, stride, "fold")
    unbatched = input.ndim == 2
    x = unsqueeze(input, 0) if unbatched else input
    if x.shape[1] % (k[0] * k[1]):
        raise ShapeError(
            f"Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size={k}."
        )
    blocks = _blocks(out_hw, k, d, pads, s)
    if any(b < 1 for b in blocks) or x.shape[2] != blocks[0] * blocks[1]:
        raise ShapeError(
            f"Given output_size={out_hw}, kernel_size={k}, dilation={d}, "
            f"padding={tuple(p for p, _ in pads)}, stride={s}, expected size of "
            f"input's dimension 2 to match the calculated number of sliding blocks "
            f"{blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
            f"input.size(2)={x.shape[2]}."
        )
    y = Col2Im.apply(x, out_hw=out_hw, kernel=k, dilation=d, pads=pads, stride=s)
    return squeeze(y, 0) if unbatched else y


def _ref_unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Loop reference: copy each block, channel-major then kernel row/column (torch's order)."""
    k, d, pads, s = _fold_args(kernel_size, dilation, padding, stride, "")
    batched = x if x.ndim == 4 else x[None]
    xp_ = _pad_nd(batched, pads)
    n, c = batched.shape[:2]
    ho, wo = _blocks(batched.shape[2:], k, d, pads, s)
    out = np.zeros((n, c, k[0], k[1], ho, wo), x.dtype)
    for a in range(ho):
        for b in range(wo):
            for i in range(k[0]):
                for j in range(k[1]):
                    out[:, :, i, j, a, b] = xp_[:, :, a * s[0] + i * d[0], b * s[1] + j * d[1]]
    out = out.reshape(n, c * k[0] * k[1], ho * wo)
    return out if x.ndim == 4 else out[0]


def _ref_fold(cols, output_size, kernel_size, dilation=1, padding=0, stride=1):
    k, d, pads, s = _fold_args(kernel_size, dilation, padding, stride, "")
    hw = _ntuple(output_size, 2, "", "")
    batched = cols if cols.ndim == 3 else cols[None]
    n = batched.shape[0]
    c = batched.shape[1] // (k[0] * k[1])
    ho, wo = _blocks(hw, k, d, pads, s)
    blocks = batched.reshape(n, c, k[0], k[1], ho, wo)
    out = np.zeros((n, c, hw[0] + 2 * pads[0][0], hw[1] + 2 * pads[1][0]), cols.dtype)
    for a in range(ho):
        for b in range(wo):
            for i in range(k[0]):
                for j in range(k[1]):
                    out[:, :, a * s[0] + i * d[0], b * s[1] + j * d[1]] += blocks[:, :, i, j, a, b]
    out = out[:, :, pads[0][0] : pads[0][0] + hw[0], pads[1][0] : pads[1][0] + hw[1]]
    return out if cols.ndim == 3 else out[0]


register_functions(
    "fold",
    [
        (
            "unfold",
            unfold,
            _ref_unfold,
            shaped_samples(
                normal,
                ((2, 2, 4, 4), 2),
                ((1, 2, 5, 4), (2, 3), dict(dilation=(2, 1), padding=1, stride=(2, 1))),
                ((3, 3, 3), 2, dict(stride=2, padding=1)),
            ),
        ),
        (
            "fold",
            fold,
            _ref_fold,
            shaped_samples(
                normal,
                ((2, 8, 4), (3, 3), 2),
                ((1, 12, 6), (4, 3), (2, 3), dict(dilation=(2, 1), padding=1, stride=(2, 1))),
                ((4, 9), (5, 5), 2, dict(stride=2, padding=1)),
            ),
        ),
    ],
)


# ---- pixel shuffles: space <-> channels -------------------------------------------------------
def _new_memory(out: Tensor) -> Tensor:
    """torch's pixel and channel shuffles always return new memory, but our reshape/permute
    chain ends in a view of the input when the strides allow it (a factor of 1, or one pixel
    per block): copy then, so that writing into the result never reaches the input."""
    return out.clone() if out._base is not None else out


def _check_factor(input, factor, opname, what):
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{opname}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    if input.ndim < 3:
        raise ShapeError(
            f"{opname} expects input to have at least 3 dimensions, but got input "
            f"with {input.ndim} dimension(s)"
        )
    if not isinstance(factor, (int, np.integer)) or isinstance(factor, bool):
        raise TypeError(f"{opname}(): argument '{what}' must be int, not {type(factor).__name__}")
    if factor <= 0:
        raise ValueError(f"{opname} expects a positive {what}, but got {factor}")


def pixel_shuffle(input, upscale_factor) -> Tensor:
    """Rearrange (*, C r^2, H, W) into (*, C, H r, W r): channel blocks become r x r pixel
    blocks (sub-pixel convolution upsampling).

    Example:
        >>> autograd.pixel_shuffle(autograd.arange(4.0).reshape(1, 4, 1, 1), 2)
        tensor([[[[0., 1.],
                  [2., 3.]]]])
    """
    _check_factor(input, upscale_factor, "pixel_shuffle", "upscale_factor")
    r = int(upscale_factor)
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise ShapeError(
            f"pixel_shuffle expects its input's 'channel' dimension to be divisible "
            f"by the square of upscale_factor, but input.size(-3)={c} is not "
            f"divisible by {r * r}"
        )
    n = len(lead)
    x = input.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)  # (*, C, H, r, W, r)
    return _new_memory(x.reshape(tuple(lead) + (c // (r * r), h * r, w * r)))


def pixel_unshuffle(input, downscale_factor) -> Tensor:
    """The inverse of ``pixel_shuffle``: (*, C, H r, W r) -> (*, C r^2, H, W).

    Example:
        >>> autograd.pixel_unshuffle(autograd.arange(4.0).reshape(1, 1, 2, 2), 2).flatten()
        tensor([0., 1., 2., 3.])
    """
    _check_factor(input, downscale_factor, "pixel_unshuffle", "downscale_factor")
    r = int(downscale_factor)
    *lead, c, h, w = input.shape
    for what, size, dim in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise ShapeError(
                f"pixel_unshuffle expects {what} to be divisible by "
                f"downscale_factor, but input.size({dim})={size} is not divisible "
                f"by {r}"
            )
    if input.numel() == 0:  # torch returns an empty input's copy unchanged (its shape too)
        return input.clone()
    n = len(lead)
    x = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)  # (*, C, r, r, H, W)
    return _new_memory(x.reshape(tuple(lead) + (c * r * r, h // r, w // r)))


def channel_shuffle(input, groups) -> Tensor:
    """Interleave the channels of ``groups`` groups (ShuffleNet): (N, g * k, *) viewed as
    (N, g, k, *) and transposed to (N, k, g, *).

    Example:
        >>> autograd.channel_shuffle(autograd.arange(4.0).reshape(1, 4, 1), 2).flatten()
        tensor([0., 2., 1., 3.])
    """
    if not isinstance(input, Tensor):
        raise TypeError(
            f"channel_shuffle(): argument 'input' (position 1) must be Tensor, not "
            f"{type(input).__name__}"
        )
    if input.ndim <= 2:
        raise ShapeError(
            f"channel_shuffle expects input with > 2 dims, but got input with "
            f"sizes {list(input.shape)}"
        )
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ValueError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )
    n, c, *rest = input.shape
    if c % groups:
        raise ShapeError(
            f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups."
        )
    x = input.reshape((n, groups, c // groups) + tuple(rest)).transpose(1, 2)
    return _new_memory(x.reshape((n, c) + tuple(rest)))


def _ref_pixel_shuffle(x, r):
    """Loop reference: out[..., c, h r + i, w r + j] = x[..., c r^2 + i r + j, h, w]."""
    *lead, c, h, w = x.shape
    out = np.zeros(tuple(lead) + (c // (r * r), h * r, w * r), x.dtype)
    for ch in range(c):
        i, j = divmod(ch % (r * r), r)
        out[..., ch // (r * r), i::r, j::r] = x[..., ch, :, :]
    return out


def _ref_pixel_unshuffle(x, r):
    *lead, c, h, w = x.shape
    if x.size == 0:
        return x.copy()
    out = np.zeros(tuple(lead) + (c * r * r, h // r, w // r), x.dtype)
    for ch in range(c * r * r):
        i, j = divmod(ch % (r * r), r)
        out[..., ch, :, :] = x[..., ch // (r * r), i::r, j::r]
    return out


def _ref_channel_shuffle(x, g):
    k = x.shape[1] // g
    return np.stack([x[:, gi * k + ki] for ki in range(k) for gi in range(g)], axis=1)


# (an empty batch is left to the fuzz tests: torch's own backward fails on it)
register_functions(
    "fold",
    [
        (
            "pixel_shuffle",
            pixel_shuffle,
            _ref_pixel_shuffle,
            shaped_samples(normal, ((2, 8, 2, 3), 2), ((9, 1, 2), 3), ((2, 1, 4, 2, 1), 2)),
        ),
        (
            "pixel_unshuffle",
            pixel_unshuffle,
            _ref_pixel_unshuffle,
            shaped_samples(normal, ((2, 2, 4, 6), 2), ((1, 3, 3), 3), ((2, 1, 1, 2, 4), 2)),
        ),
        (
            "channel_shuffle",
            channel_shuffle,
            _ref_channel_shuffle,
            shaped_samples(normal, ((2, 6, 3), 3), ((1, 4, 2, 2), 2)),
        ),
    ],
    functional=False,  # (torch.pixel_shuffle ...)
)
