"""batch_norm, layer_norm, group_norm, rms_norm, normalize (functional forms).

All are composites: ``(x - mean) * rsqrt(var + eps)`` with the statistics computed by
differentiable reductions, so gradients (and second derivatives) come for free.
"""
from __future__ import annotations

import numpy as np

import autograd
from autograd import Tensor
from autograd.errors import ShapeError

__all__ = ["batch_norm", "layer_norm", "group_norm", "rms_norm", "normalize", "local_response_norm"]


def _stats(x: Tensor, dims):
    mean = x.mean(dims, keepdim=True)
    d = x - mean
    var = (d * d).mean(dims, keepdim=True)   # biased variance, as used for normalising
    return d, mean, var


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
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
    if input.dim() < 2:
        raise ValueError(f"batch_norm: expected at least 2D input (got {input.dim()}D input)")
    C = input.shape[1]
    dims = (0,) + tuple(range(2, input.dim()))
    shape = [1, C] + [1] * (input.dim() - 2)
    if training:
        n = input.numel() // C
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{input.shape}")
        d, mean, var = _stats(input, dims)
        y = d * autograd.rsqrt(var + eps)
        if running_mean is not None and running_var is not None:
            with autograd.no_grad():
                m = momentum
                bm = mean._data.reshape(C)
                bv = var._data.reshape(C) * (n / (n - 1))
                running_mean._data[...] = (1 - m) * running_mean._data + m * bm
                running_var._data[...] = (1 - m) * running_var._data + m * bv
                running_mean._version_cell[0] += 1
                running_var._version_cell[0] += 1
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be given in eval mode "
                               "(or pass training=True to use batch statistics)")
        rm = running_mean.detach().to(input.dtype).reshape(shape)
        rv = running_var.detach().to(input.dtype).reshape(shape)
        y = (input - rm) * autograd.rsqrt(rv + eps)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
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
    if tuple(input.shape[input.dim() - k:]) != normalized_shape or input.dim() < k:
        raise ShapeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                         f"[*, {', '.join(map(str, normalized_shape))}], but got input of size"
                         f"{list(input.shape)}")
    dims = tuple(range(input.dim() - k, input.dim()))
    d, _, var = _stats(input, dims)
    y = d * autograd.rsqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each group of ``C // num_groups`` channels over channels and spatial dims.

    Example:
        >>> F.group_norm(autograd.randn(2, 4, 3), 2).shape
        autograd.Size([2, 4, 3])
    """
    if input.dim() < 2:
        raise ValueError(f"group_norm: expected at least 2D input, got {input.dim()}D")
    N, C = input.shape[:2]
    if C % num_groups != 0:
        raise ShapeError(f"Expected number of channels in input to be divisible by num_groups, but "
                         f"got input of shape {list(input.shape)} and num_groups={num_groups}")
    x = input.reshape(N, num_groups, -1)
    d, _, var = _stats(x, (2,))
    y = (d * autograd.rsqrt(var + eps)).reshape(input.shape)
    shape = [1, C] + [1] * (input.dim() - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """``x / sqrt(mean(x**2) + eps) * weight`` over the trailing dims (eps defaults to the
    dtype's machine epsilon, like torch).

    Example:
        >>> F.rms_norm(autograd.tensor([[3.0, 4.0]]), (2,))
        tensor([[0.8485, 1.1314]])
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    k = len(tuple(normalized_shape))
    if tuple(input.shape[input.dim() - k:]) != tuple(normalized_shape):
        raise ShapeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                         f"[*, {', '.join(map(str, normalized_shape))}], but got input of size"
                         f"{list(input.shape)}")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.dim() - k, input.dim()))
    y = input * autograd.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    if weight is not None:
        y = y * weight
    return y


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``.

    Example:
        >>> F.normalize(autograd.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    norm = autograd.norm(input, p, dim, keepdim=True)
    return input / autograd.clamp_min(norm, eps)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    raise NotImplementedError("local_response_norm is not implemented in jitgrad")
