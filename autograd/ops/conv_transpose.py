"""Transposed convolutions (``torch.nn.functional`` names and signatures): conv_transpose1d /
conv_transpose2d / conv_transpose3d.

A transposed convolution is the input gradient of a convolution, ``ConvolutionInputGrad``
of conv.py's closed family of three bilinear ops, so its gradients of any order come from
that family. 1-D runs as 2-D with a height-1 axis.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import amp as _amp
from ..errors import ShapeError, shape_str
from ..tensor import Tensor
from ._util import named_function
from ._windows import _ntuple
from .registry import register_functions
from .conv import ConvolutionInputGrad, _batched, _check_bias_and_dtypes, conv_samples

__all__ = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


# ---- transposed convolutions ---------------------------------------------------------------
_DIM_NAMES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, nd):
    """conv_transpose1d/2d/3d: checks in torch's words, then ``ConvolutionInputGrad`` (the
    adjoint of the convolution in its input). 1-D runs as 2-D over a height-1 image."""
    opname = f"conv_transpose{nd}d"
    from .movement import squeeze, unsqueeze

    x, unbatched = _batched(input, weight, nd, opname, "in_channels, out_channels / groups")
    stride = _ntuple(stride, nd, "stride", opname)
    dilation = _ntuple(dilation, nd, "dilation", opname)
    pad = _ntuple(padding, nd, "padding", opname)
    opad = _ntuple(output_padding, nd, "output_padding", opname)
    if any(s <= 0 for s in stride):
        raise ValueError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise ValueError("dilation should be greater than zero")
    if any(p < 0 for p in pad) or any(p < 0 for p in opad):
        raise ValueError("negative padding is not supported")
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ValueError("non-positive groups is not supported")
    if any(op >= s and op >= d for op, s, d in zip(opad, stride, dilation)):
        # torch words 1-D through its 2-D check (height 0 / 1 / 1)
        vals = (opad, stride, dilation) if nd > 1 else ((0,) + opad, (1,) + stride, (1,) + dilation)
        names = _DIM_NAMES[max(nd, 2)]
        raise ValueError(
            "output padding must be smaller than either stride or dilation, but got "
            + " ".join(
                f"{what}_{dim}: {v}"
                for what, vs in zip(("output_padding", "stride", "dilation"), vals)
                for dim, v in zip(names, vs)
            )
        )
    cin, cg = weight.shape[:2]
    if cin % groups:
        raise ShapeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at "
            f"dimension 0, but got weight of size [{shape_str(weight.shape)}] "
            f"instead"
        )
    if x.shape[1] != cin:
        raise ShapeError(
            f"Given transposed=1, weight of size {shape_str(weight.shape)}, expected "
            f"input{shape_str(x.shape)} to have {cin} channels, but got "
            f"{x.shape[1]} channels instead"
        )
    _check_bias_and_dtypes(x, weight, bias, cg * groups, opname, "Given transposed=1, ")
    out_sz = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        for n, s, p, d, k, op in zip(x.shape[2:], stride, pad, dilation, weight.shape[2:], opad)
    )
    if any(n <= 0 for n in out_sz):
        raise ShapeError(
            f"Given input size per channel: ({' x '.join(map(str, x.shape[2:]))}). "
            f"Calculated output size per channel: ({' x '.join(map(str, out_sz))}). "
            f"Output size is too small"
        )
    w = weight
    if nd == 1:  # a height-1 image
        x, w = unsqueeze(x, 2), unsqueeze(weight, 2)
        stride, pad, dilation, out_sz = (1,) + stride, (0,) + pad, (1,) + dilation, (1,) + out_sz
    y = ConvolutionInputGrad.apply(
        x,
        w,
        bias,
        in_hw=out_sz,
        stride=stride,
        pads=tuple((p, p) for p in pad),
        dilation=dilation,
        groups=int(groups),
    )
    if nd == 1:
        y = squeeze(y, 2)
    return squeeze(y, 0) if unbatched else y


def _conv_transpose_nd(nd: int, doc: str):
    """The public ``conv_transpose{nd}d``: torch's signature, the same for 1-d, 2-d and 3-d."""

    def conv_transpose(
        input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
    ) -> Tensor:
        return _conv_transposend(
            input, weight, bias, stride, padding, output_padding, groups, dilation, nd
        )

    return _amp.lower_precision(named_function(conv_transpose, f"conv_transpose{nd}d", doc))


conv_transpose2d = _conv_transpose_nd(
    2,
    """Transposed 2-D convolution (the gradient of conv2d w.r.t. its input), weight of shape
    (in_channels, out_channels / groups, kH, kW).

    Example:
        >>> x = autograd.ones(1, 1, 2, 2)
        >>> autograd.conv_transpose2d(x, autograd.ones(1, 1, 3, 3), stride=2).shape
        autograd.Size([1, 1, 5, 5])
    """,
)
conv_transpose1d = _conv_transpose_nd(
    1,
    """Transposed 1-D convolution over (N, C, L) or (C, L); weight (in_channels,
    out_channels / groups, k).

    Example:
        >>> w = autograd.ones(1, 1, 2)
        >>> autograd.conv_transpose1d(autograd.ones(1, 1, 3), w, stride=2).shape
        autograd.Size([1, 1, 6])
    """,
)
conv_transpose3d = _conv_transpose_nd(
    3,
    """Transposed 3-D convolution over (N, C, D, H, W) or (C, D, H, W); weight (in_channels,
    out_channels / groups, kD, kH, kW).

    Example:
        >>> w = autograd.ones(1, 2, 2, 2, 2)
        >>> autograd.conv_transpose3d(autograd.ones(1, 1, 2, 3, 3), w, stride=2).shape
        autograd.Size([1, 2, 4, 6, 6])
    """,
)


def _ref_conv_transpose(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Scatter reference, any number of spatial dims: every input element adds weight *
    value at its strided position."""
    nd = w.ndim - 2
    if x.ndim == nd + 1:
        return _ref_conv_transpose(
            x[None], w, b, stride, padding, output_padding, groups, dilation
        )[0]
    s, d = _ntuple(stride, nd, "", ""), _ntuple(dilation, nd, "", "")
    p, op = _ntuple(padding, nd, "", ""), _ntuple(output_padding, nd, "", "")
    n, cin, *size = x.shape
    cg, kernel = w.shape[1], w.shape[2:]
    out = [
        (m - 1) * s_ - 2 * p_ + d_ * (k - 1) + o_ + 1
        for m, s_, p_, d_, k, o_ in zip(size, s, p, d, kernel, op)
    ]
    full = np.zeros([n, cg * groups] + [o_ + 2 * p_ for o_, p_ in zip(out, p)], x.dtype)
    ig = cin // groups
    for gi in range(groups):
        for tap in itertools.product(*(range(k) for k in kernel)):
            contrib = np.einsum(
                "nc...,co->no...",
                x[:, gi * ig : (gi + 1) * ig],
                w[(slice(gi * ig, (gi + 1) * ig), slice(None)) + tap],
            )
            where = tuple(
                slice(i * d_, i * d_ + s_ * (m - 1) + 1, s_)
                for i, d_, s_, m in zip(tap, d, s, size)
            )
            full[(slice(None), slice(gi * cg, (gi + 1) * cg)) + where] += contrib
    res = full[(slice(None),) * 2 + tuple(slice(p_, p_ + o_) for p_, o_ in zip(p, out))]
    if b is not None:
        res = res + b.reshape((1, -1) + (1,) * nd)
    return res


_conv_transpose2d_samples = conv_samples(
    ((2, 2, 3, 3), (2, 3, 2, 2), (3,), {}),
    ((1, 2, 3, 2), (2, 2, 3, 3), None, dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 2, 3), (4, 1, 2, 2), (2,), dict(stride=(2, 1), groups=2, dilation=2)),
    ((2, 3, 3), (2, 2, 2, 2), None, {}),
)
_conv_transpose1d_samples = conv_samples(
    ((2, 2, 4), (2, 3, 3), (3,), {}),
    ((1, 4, 3), (4, 1, 2), None, dict(stride=3, padding=1, output_padding=1, groups=2, dilation=2)),
    ((2, 5), (2, 2, 3), None, dict(stride=2)),
)
_conv_transpose3d_samples = conv_samples(
    ((2, 2, 2, 3, 2), (2, 3, 2, 2, 1), (3,), {}),
    (
        (1, 4, 2, 2, 3),
        (4, 1, 2, 1, 2),
        None,
        dict(
            stride=(2, 1, 2),
            padding=(1, 0, 0),
            output_padding=(1, 0, 1),
            groups=2,
            dilation=(1, 2, 1),
        ),
    ),
    ((2, 2, 2, 2), (2, 1, 2, 2, 2), None, {}),
)
register_functions(
    "conv_transpose",
    [
        ("conv_transpose2d", conv_transpose2d, _ref_conv_transpose, _conv_transpose2d_samples),
        ("conv_transpose1d", conv_transpose1d, _ref_conv_transpose, _conv_transpose1d_samples),
        ("conv_transpose3d", conv_transpose3d, _ref_conv_transpose, _conv_transpose3d_samples),
    ],
)
