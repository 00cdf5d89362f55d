"""batch_norm, layer_norm, group_norm, instance_norm, rms_norm, normalize,
local_response_norm (functional forms).

``layer_norm`` and ``batch_norm`` are fused primitive ops (``LayerNorm`` / ``BatchNorm``
below): the forward computes the statistics and ``y`` in one go and saves the mean and
``rstd = 1 / sqrt(var + eps)``; the backward produces the input, weight and bias gradients
together with the standard formulas

    xhat = (x - mean) * rstd,   dbias = sum(g),   dweight = sum(g * xhat),
    dx = rstd * (g w - mean(g w) - xhat * mean(g w * xhat))      (means over the normalised set)

instead of a graph of a dozen mean/sub/mul nodes. The NumPy code is the reference; with
the numba backend float32/float64 data runs the kernels of ``autograd/kernels/norm.py``.
The VJP is written with ``xp`` operations, so ``create_graph=True`` differentiates it again:
when recording, the mean and rstd are recomputed from ``x`` with differentiable ops (the
saved arrays are constants). The variance is always the mean of squared deviations (two
passes), which stays accurate for data with a large offset, unlike ``E[x**2] - E[x]**2``.

group_norm and rms_norm are composites of differentiable reductions; instance_norm is
batch_norm over N * C channels (as torch computes it); local_response_norm an average pool
of squares across channels.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dispatch
from ..errors import DTypeError, ShapeError
from ..forward_ad import sum_terms
from ..function import Op, derive
from ..tensor import Tensor
from .compare import clamp_min
from ._util import _torch_dtype_name
from .unary import rsqrt
from .reduce import norm as _norm
from .registry import Sample, register_functions
from .samples import normal, shaped_samples
from ..dtypes import FLOAT_KINDS

__all__ = [
    "batch_norm",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "local_response_norm",
    "normalize",
    "rms_norm",
]


def _stats(x: Tensor, dims):
    mean = x.mean(dims, keepdim=True)
    d = x - mean
    var = (d * d).mean(dims, keepdim=True)  # biased variance, as used for normalising
    return d, mean, var


# ---- shared pieces of the fused ops -------------------------------------------------------------
def _np_stats(x, dims):
    """Mean, deviations and biased variance over ``dims`` (kept as size-1 dims); the
    variance is the mean of squared deviations (no cancellation for large offsets)."""
    mean = x.mean(dims, keepdims=True)
    d = x - mean
    return mean, d, (d * d).mean(dims, keepdims=True)


def _sum_over(xp, a, dims):
    return xp.sum(a, dims) if dims else a


def _norm_vjp(ctx, g, xp, x, w, mean, rstd, red, param_dims, batch_stats):
    """Gradients (dx, dweight, dbias) of ``y = (x - mean) * rstd * w + b``.

    ``w`` is broadcastable against ``x`` (or None); ``red`` are the normalised dims and
    ``param_dims`` the dims summed for the weight/bias gradients. With ``batch_stats`` the
    mean and rstd depend on x (training / layer_norm); otherwise they are constants.
    """
    need_x, need_w, need_b = ctx.needs_input_grad
    xhat = (x - mean) * rstd
    dx = dw = db = None
    if need_x:
        gw = g if w is None else g * w
        if batch_stats:
            dx = (gw - xp.mean(gw, red, True) - xhat * xp.mean(gw * xhat, red, True)) * rstd
        else:
            dx = gw * rstd
    if need_w:
        dw = _sum_over(xp, g * xhat, param_dims)
    if need_b:
        db = _sum_over(xp, g, param_dims)
    return dx, dw, db


def _norm_jvp(tangents, xp, x, w, mean, rstd, red, batch_stats, param_shape):
    """Forward mode of ``y = x_hat * w + b``, ``x_hat = (x - mean) * rstd``: the tangent
    from those of (x, weight, bias). With ``batch_stats`` the mean and rstd move with x:
    d x_hat = rstd * (t - mean(t) - x_hat * mean(x_hat * t)) over ``red`` (the same symmetric
    map as the VJP's); weight and bias are reshaped to ``param_shape`` (None: as they are).
    """
    tx, tw, tb = tangents
    xhat = (x - mean) * rstd
    terms = []
    if tx is not None:
        if batch_stats:
            d = (tx - xp.mean(tx, red, True) - xhat * xp.mean(tx * xhat, red, True)) * rstd
        else:
            d = tx * rstd
        terms.append(
            d if w is None else d * (w if param_shape is None else xp.reshape(w, param_shape))
        )
    if tw is not None:
        terms.append(xhat * (tw if param_shape is None else xp.reshape(tw, param_shape)))
    if tb is not None:
        terms.append(
            xp.zeros_like(xhat) + (tb if param_shape is None else xp.reshape(tb, param_shape))
        )
    return sum_terms(terms)


def _float_args(opname, kernel_name, input, *params):
    """Check the input is floating and give weight/bias/... the input's dtype (or promote
    all to the wider one), so the op sees one dtype."""
    if input._data.dtype.kind not in FLOAT_KINDS:
        raise DTypeError(
            f'{opname}: "{kernel_name}" not implemented for '
            f"'{_torch_dtype_name(input._data.dtype)}' (expected a floating point "
            f"input; convert it first, e.g. x.float())"
        )
    dt = np.result_type(input._data.dtype, *[p._data.dtype for p in params if p is not None])
    return [t if t is None or t._data.dtype == dt else t.to(dt) for t in (input,) + params]


def _check_channels(opname, input, weight, bias, running_mean, running_var):
    """batch_norm's and instance_norm's checks: the input has a channel dim (dim 1, so at
    least 2-D) and every per-channel parameter given has one element per channel. Returns the
    number of channels."""
    if input.dim() < 2:
        raise ValueError(f"{opname}: expected at least 2D input (got {input.dim()}D input)")
    C = input.shape[1]
    for name, p in (
        ("weight", weight),
        ("bias", bias),
        ("running_mean", running_mean),
        ("running_var", running_var),
    ):
        if p is not None and p.numel() != C:
            raise ShapeError(f"{opname}: {name} should contain {C} elements not {p.numel()}")
    return C


# ---- batch_norm ----------------------------------------------------------------------------------
class BatchNorm(Op):
    """Per-channel normalisation of (N, C, *) input; statistics over N and the spatial dims.

    ``forward(x, weight, bias, eps, training, running)``: with ``training`` the batch
    statistics are used and ``running = (running_mean, running_var, momentum)`` (arrays
    updated in place, or None); in eval mode ``running = (mean, var)`` are the (constant)
    running statistics, already in the input's dtype and shape (1, C, 1, ...).
    """

    grad_fn_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, eps, training, running):
        C = x.shape[1]
        red = (0,) + tuple(range(2, x.ndim))
        shape = (1, C) + (1,) * (x.ndim - 2)
        ctx.red, ctx.shape, ctx.eps, ctx.training = red, shape, eps, training
        K = dispatch.kernels("norm", x, weight, bias)
        if training:
            if K is not None:
                y, mean, var, rstd = K.batch_norm_forward_train(x, weight, bias, eps)
                mean, var, rstd = (a.astype(x.dtype).reshape(shape) for a in (mean, var, rstd))
            else:
                mean, d, var = _np_stats(x, red)
                rstd = 1.0 / np.sqrt(var + eps)
                y = d * rstd
            if running is not None:  # torch's update, with the unbiased batch variance
                rm, rv, m = running
                n = x.size // C
                rm[...] = (1 - m) * rm + m * mean.reshape(C)
                rv[...] = (1 - m) * rv + m * (var.reshape(C) * (n / (n - 1)))
        else:
            mean, var = running
            rstd = 1.0 / np.sqrt(var + eps)  # (a negative running_var gives nan, like torch)
            if K is not None:
                y = K.batch_norm_forward_eval(x, mean, rstd, weight, bias)
            else:
                y = (x - mean) * rstd
        if K is None:  # the NumPy path applies the affine part here
            if weight is not None:
                y = y * weight.reshape(shape)
            if bias is not None:
                y = y + bias.reshape(shape)
        ctx.save_for_backward(x, weight, mean, rstd)
        return y

    @staticmethod
    def backward(ctx, g, xp):
        x, weight, mean, rstd = ctx.saved_tensors
        if not xp.graph:
            K = dispatch.kernels("norm", x, weight, g)
            if K is not None:
                dx, dw, db = K.batch_norm_backward(x, g, weight, mean, rstd, ctx.training)
                need_x, need_w, need_b = ctx.needs_input_grad
                return dx if need_x else None, dw if need_w else None, db if need_b else None
        elif ctx.training:  # recording: mean and rstd as differentiable functions of x
            mean = xp.mean(x, ctx.red, True)
            d = x - mean
            rstd = xp.rsqrt(xp.mean(d * d, ctx.red, True) + ctx.eps)
        w = None if weight is None else xp.reshape(weight, ctx.shape)
        return _norm_vjp(ctx, g, xp, x, w, mean, rstd, ctx.red, ctx.red, ctx.training)

    @staticmethod
    def jvp(ctx, tangents, xp):
        x, weight, mean, rstd = ctx.saved_tensors
        if xp.graph and ctx.training:  # (as in the VJP)
            mean = xp.mean(x, ctx.red, True)
            rstd = xp.rsqrt(xp.mean((x - mean) * (x - mean), ctx.red, True) + ctx.eps)
        return _norm_jvp(tangents, xp, x, weight, mean, rstd, ctx.red, ctx.training, ctx.shape)


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dim 1) over the batch (and spatial dims).

    In training mode the batch statistics are used and the running statistics (if given)
    are updated in place: ``running = (1 - momentum) * running + momentum * batch_stat``,
    with the unbiased variance, like torch. In eval mode the running statistics are used.

    Example:
        >>> x = autograd.randn(8, 3)
        >>> y = F.batch_norm(x, None, None, training=True)
        >>> bool(y.mean(0).abs().max() < 1e-5)
        True
    """
    C = _check_channels("batch_norm", input, weight, bias, running_mean, running_var)
    x, weight, bias = _float_args("batch_norm", "batch_norm", input, weight, bias)
    if input.numel() == 0:
        # as torch: an empty result, the running statistics unchanged; weight and bias stay in
        # the graph (their gradients are zeros, not None)
        out = x.clone()
        if weight is not None and weight.numel():
            out = out * weight[0]
        if bias is not None and bias.numel():
            out = out + bias[0]
        return out
    if training:
        n = input.numel() // C
        if n <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{input.shape}"
            )
        update = running_mean is not None and running_var is not None
        running = (running_mean._data, running_var._data, momentum) if update else None
        y = BatchNorm.apply(x, weight, bias, eps=eps, training=True, running=running)
        if update:
            running_mean._version_cell[0] += 1
            running_var._version_cell[0] += 1
        return y
    if running_mean is None or running_var is None:
        raise RuntimeError(
            "batch_norm: running_mean and running_var must be given in eval mode "
            "(or pass training=True to use batch statistics)"
        )
    shape = (1, C) + (1,) * (input.dim() - 2)
    # (from the buffers' current values: derived, see function.derive)
    running = derive(_running_stats, running_mean, running_var, dtype=x._data.dtype, shape=shape)
    return BatchNorm.apply(x, weight, bias, eps=eps, training=False, running=running)


def _running_stats(mean, var, dtype, shape):
    """The running statistics as eval-mode batch_norm uses them: ``dtype``, (1, C, 1, ...)."""
    return mean.astype(dtype).reshape(shape), var.astype(dtype).reshape(shape)


# ---- layer_norm ----------------------------------------------------------------------------------
class LayerNorm(Op):
    """Normalisation over the trailing ``k`` dims of each sample (rows are independent).

    Saves x, weight and the per-row mean and rstd (shape ``x.shape[:-k] + (1,) * k``).
    """

    grad_fn_name = "NativeLayerNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, k, eps):
        lead = tuple(range(x.ndim - k))
        red = tuple(range(x.ndim - k, x.ndim))
        stats_shape = x.shape[: x.ndim - k] + (1,) * k
        n = math.prod(x.shape[x.ndim - k :])
        ctx.lead, ctx.red, ctx.eps, ctx.n = lead, red, eps, n
        K = dispatch.kernels("norm", x, weight, bias)
        if K is not None:
            y, mean, rstd = K.layer_norm_forward(x, n, weight, bias, eps)
            mean, rstd = mean.reshape(stats_shape), rstd.reshape(stats_shape)
        elif n == 0:  # nothing to normalise (NumPy would warn about an empty mean)
            y = x.copy()
            mean = rstd = np.full(stats_shape, np.nan, x.dtype)
        else:
            mean, d, var = _np_stats(x, red)
            rstd = 1.0 / np.sqrt(var + eps)
            y = d * rstd
            if weight is not None:
                y = y * weight
            if bias is not None:
                y = y + bias
        ctx.save_for_backward(x, weight, mean, rstd)
        return y

    @staticmethod
    def backward(ctx, g, xp):
        x, weight, mean, rstd = ctx.saved_tensors
        if ctx.n == 0:  # empty rows: every gradient is empty or zero
            need_x, need_w, need_b = ctx.needs_input_grad
            return (
                xp.zeros_like(x) if need_x else None,
                xp.zeros_like(weight) if need_w else None,
                _sum_over(xp, g, ctx.lead) if need_b else None,
            )
        if not xp.graph:
            K = dispatch.kernels("norm", x, weight, g)
            if K is not None:
                dx, dw, db = K.layer_norm_backward(x, g, ctx.n, weight, mean, rstd)
                need_x, need_w, need_b = ctx.needs_input_grad
                # (dw, db are flat and new: reshaped only for a multi-dim normalized_shape, so
                # that a parameter's .grad can take them over instead of copying a view)
                shape = x.shape[x.ndim - len(ctx.red) :]
                if dw.shape != shape:
                    dw, db = dw.reshape(shape), db.reshape(shape)
                return (dx if need_x else None, dw if need_w else None, db if need_b else None)
        else:  # recording: mean and rstd as differentiable functions of x
            mean = xp.mean(x, ctx.red, True)
            d = x - mean
            rstd = xp.rsqrt(xp.mean(d * d, ctx.red, True) + ctx.eps)
        return _norm_vjp(ctx, g, xp, x, weight, mean, rstd, ctx.red, ctx.lead, True)

    @staticmethod
    def jvp(ctx, tangents, xp):
        x, weight, mean, rstd = ctx.saved_tensors
        if ctx.n == 0:
            return xp.zeros_like(ctx.output)
        if xp.graph:  # (recording: mean and rstd as differentiable functions of x)
            mean = xp.mean(x, ctx.red, True)
            rstd = xp.rsqrt(xp.mean((x - mean) * (x - mean), ctx.red, True) + ctx.eps)
        return _norm_jvp(tangents, xp, x, weight, mean, rstd, ctx.red, True, None)


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims of each sample.

    Example:
        >>> y = F.layer_norm(autograd.tensor([[1.0, 2.0, 3.0]]), (3,))
        >>> bool(y.mean().abs() < 1e-6)
        True
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0:
        raise ShapeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing "
            "at least one element, but got normalized_shape = []"
        )
    if tuple(input.shape[input.dim() - k :]) != normalized_shape or input.dim() < k:
        raise ShapeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, normalized_shape))}], but got input of size"
            f"{list(input.shape)}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != normalized_shape:
            raise ShapeError(
                f"Expected {name} to be of same shape as normalized_shape, but got "
                f"{name} of shape {list(p.shape)} and normalized_shape = "
                f"{list(normalized_shape)}"
            )
    x, weight, bias = _float_args("layer_norm", "LayerNormKernelImpl", input, weight, bias)
    return LayerNorm.apply(x, weight, bias, k=k, eps=eps)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each group of ``C // num_groups`` channels over channels and spatial dims.

    Example:
        >>> F.group_norm(autograd.randn(2, 4, 3), 2).shape
        autograd.Size([2, 4, 3])
    """
    if input.dim() < 2:
        raise ValueError(f"group_norm: expected at least 2D input, got {input.dim()}D")
    N, C = input.shape[:2]
    if C % num_groups != 0:
        raise ShapeError(
            f"Expected number of channels in input to be divisible by num_groups, but "
            f"got input of shape {list(input.shape)} and num_groups={num_groups}"
        )
    # (the group size is spelled out: -1 cannot be inferred for an empty batch)
    x = input.reshape(N, num_groups, C // num_groups * math.prod(input.shape[2:]))
    d, _, var = _stats(x, (2,))
    y = (d * rsqrt(var + eps)).reshape(input.shape)
    shape = [1, C] + [1] * (input.dim() - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def rms_norm(
    input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None
) -> Tensor:
    """``x / sqrt(mean(x**2) + eps) * weight`` over the trailing dims (eps defaults to the
    dtype's machine epsilon, like torch).

    Example:
        >>> F.rms_norm(autograd.tensor([[3.0, 4.0]]), (2,))
        tensor([[0.8485, 1.1314]])
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    k = len(tuple(normalized_shape))
    if tuple(input.shape[input.dim() - k :]) != tuple(normalized_shape):
        raise ShapeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, normalized_shape))}], but got input of size"
            f"{list(input.shape)}"
        )
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.dim() - k, input.dim()))
    y = input * rsqrt((input * input).mean(dims, keepdim=True) + eps)
    if weight is not None:
        y = y * weight
    return y


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``.

    Example:
        >>> F.normalize(autograd.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    norm = _norm(input, p, dim, keepdim=True)
    return input / clamp_min(norm, eps)


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample over its spatial dims (style transfer, GANs).

    As in torch this is batch_norm of the input seen as one sample with N * C channels; the
    running statistics (if given) are updated with the mean over the batch of the
    per-sample statistics, and used instead of the input's when ``use_input_stats=False``.

    Example:
        >>> y = F.instance_norm(autograd.randn(2, 3, 8))
        >>> bool(y.mean(-1).abs().max() < 1e-5)
        True
    """
    if not isinstance(input, Tensor):
        raise TypeError(
            f"instance_norm(): argument 'input' must be Tensor, not {type(input).__name__}"
        )
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {input.shape!r}"
        )
    c = _check_channels("instance_norm", input, weight, bias, running_mean, running_var)
    n = input.shape[0]

    def per_sample(t, differentiable):
        if t is None:
            return None
        return t.repeat(n) if differentiable else Tensor._make(derive(np.tile, t, n))

    rm, rv = per_sample(running_mean, False), per_sample(running_var, False)
    y = batch_norm(
        input.reshape((1, n * c) + tuple(input.shape[2:])),
        rm,
        rv,
        per_sample(weight, True),
        per_sample(bias, True),
        use_input_stats,
        momentum,
        eps,
    )
    for running, tiled in ((running_mean, rm), (running_var, rv)):
        if running is not None and use_input_stats:
            running._data[...] = tiled._data.reshape(n, c).mean(axis=0)
            running._version_cell[0] += 1
    return y.reshape(input.shape)


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Divide each element by ``(k + alpha * mean of x**2 over size neighbouring channels)
    ** beta`` (AlexNet's lateral inhibition), composed as torch defines it: a zero-padded
    average pool across channels.

    Example:
        >>> F.local_response_norm(autograd.ones(1, 3, 2), 2, alpha=1.0, k=1.0).shape
        autograd.Size([1, 3, 2])
    """
    from .avg_pooling import avg_pool2d, avg_pool3d
    from .vision import pad

    if not isinstance(input, Tensor):
        raise TypeError(
            f"local_response_norm(): argument 'input' must be Tensor, not {type(input).__name__}"
        )
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input * input
    if dim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.shape
        div = div.reshape(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1).reshape(sizes)
    return input / (div * alpha + k) ** beta


# ---- registered ops (the generic tests check them like every other op) -------------------------
def _ref_normalize(x, dims, eps):
    mean = x.mean(axis=dims, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=dims, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def _ref_batch_norm(
    x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        y = _ref_normalize(x, (0,) + tuple(range(2, x.ndim)), eps)
    else:
        y = (x - running_mean.reshape(shape)) / np.sqrt(running_var.reshape(shape) + eps)
    if weight is not None:
        y = y * weight.reshape(shape)
    return y if bias is None else y + bias.reshape(shape)


def _batch_norm_samples(rng):
    n, u = rng.normal, rng.uniform
    return [
        Sample(n(size=(4, 3)), None, None, u(0.5, 2, (3,)), n(size=(3,)), True),
        Sample(
            n(size=(2, 3, 4)),
            n(size=(3,)),
            u(0.5, 2, (3,)),
            u(0.5, 2, (3,)),
            n(size=(3,)),
            False,
            no_grad_args=(1, 2),
        ),
        Sample(
            n(size=(3, 2, 2, 2)) + 5, np.zeros(2), np.ones(2), None, None, True, no_grad_args=(1, 2)
        ),  # training with running statistics
        Sample(n(size=(5, 2)), None, None, None, None, True, 0.1, 1e-3),
    ]


def _ref_layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    k = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    y = _ref_normalize(x, tuple(range(x.ndim - k, x.ndim)), eps)
    if weight is not None:
        y = y * weight
    return y if bias is None else y + bias


def _layer_norm_samples(rng):
    n, u = rng.normal, rng.uniform
    return [
        Sample(n(size=(3, 4)), (4,), u(0.5, 2, (4,)), n(size=(4,))),
        Sample(n(size=(2, 3, 4)) * 3 + 10, (3, 4), u(0.5, 2, (3, 4)), n(size=(3, 4))),
        Sample(n(size=(5,)), (5,)),
        Sample(n(size=(2, 3)), (3,), None, n(size=(3,)), eps=1e-3),
    ]


# the kernels keep float64 statistics (tests/test_kernels_norm.py's tolerances)
_KERNEL_TOL = {"float32": (2e-5, 2e-5), "float64": (1e-10, 1e-10)}


def _ref_instance_norm(
    x,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats=True,
    momentum=0.1,
    eps=1e-5,
):
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if use_input_stats:
        y = _ref_normalize(x, tuple(range(2, x.ndim)), eps)
    else:
        y = (x - running_mean.reshape(shape)) / np.sqrt(running_var.reshape(shape) + eps)
    if weight is not None:
        y = y * weight.reshape(shape)
    return y if bias is None else y + bias.reshape(shape)


def _ref_local_response_norm(x, size, alpha=1e-4, beta=0.75, k=1.0):
    """Loop reference: the mean of squares over channels [c - size // 2, c + (size - 1) // 2]
    (out-of-range channels count as zeros)."""
    c = x.shape[1]
    sq = np.concatenate(
        [
            np.zeros((x.shape[0], size // 2) + x.shape[2:]),
            x * x,
            np.zeros((x.shape[0], (size - 1) // 2) + x.shape[2:]),
        ],
        axis=1,
    )
    div = np.stack([sq[:, i : i + size].sum(axis=1) / size for i in range(c)], axis=1)
    return x / (k + alpha * div) ** beta


def _instance_norm_samples(rng):
    n, u = rng.normal, rng.uniform
    return [
        Sample(n(size=(2, 3, 5))),
        Sample(n(size=(2, 2, 3, 4)) * 3 + 1, None, None, u(0.5, 2, (2,)), n(size=(2,))),
        Sample(
            n(size=(1, 2, 4)),
            n(size=(2,)),
            u(0.5, 2, (2,)),
            u(0.5, 2, (2,)),
            None,
            True,
            0.2,
            no_grad_args=(1, 2),
        ),  # training, running statistics updated
        Sample(
            n(size=(3, 2, 2, 2, 2)),
            n(size=(2,)),
            u(0.5, 2, (2,)),
            None,
            None,
            False,
            no_grad_args=(1, 2),
        ),
    ]  # evaluation: running statistics used


register_functions(
    "normalization",
    [
        ("batch_norm", batch_norm, _ref_batch_norm, _batch_norm_samples),
        ("layer_norm", layer_norm, _ref_layer_norm, _layer_norm_samples),
        ("instance_norm", instance_norm, _ref_instance_norm, _instance_norm_samples),
    ],
    namespace="nn.functional",
    backend_tol=_KERNEL_TOL,
)
register_functions(
    "normalization",
    [
        (
            "local_response_norm",
            local_response_norm,
            _ref_local_response_norm,
            shaped_samples(
                normal, ((2, 5, 4), 3), ((1, 4, 3, 2), 2, 0.1, 0.5, 2.0), ((1, 3, 2, 2, 2), 4, 1e-2)
            ),
        )
    ],
    namespace="nn.functional",
)
