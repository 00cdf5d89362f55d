"""SyncBatchNorm: batch normalisation with statistics over the whole batch of all ranks."""

from __future__ import annotations

import numpy as np

import autograd
import autograd.distributed as dist
from autograd import Tensor

from .normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]


def _all_reduce(arr: np.ndarray, group) -> np.ndarray:
    t = Tensor._make(arr)
    dist.all_reduce(t, group=group)
    return t._data


class _SyncBatchNormFunction(autograd.Function):
    """Forward: two all-reduces (per-channel sums -> mean, then sums of squared deviations ->
    variance: the same two passes as one process computing over the whole batch). Backward:
    one all-reduce of the per-channel sums of dy and dy * x_hat, which every sample's input
    gradient needs. The weight and bias gradients stay local sums, as in BatchNorm:
    DistributedDataParallel averages them with the other parameters."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, eps, momentum, group):
        a = x._data
        C = a.shape[1]
        axes = (0,) + tuple(range(2, a.ndim))
        bshape = (1, C) + (1,) * (a.ndim - 2)
        sums = _all_reduce(np.append(a.sum(axis=axes, dtype=np.float64), a.size // C), group)
        n = sums[-1]
        if n <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input "
                f"size {list(x.shape)} on all ranks together"
            )
        mean = sums[:C] / n
        centred = a - mean.reshape(bshape)
        var = _all_reduce((centred.astype(np.float64) ** 2).sum(axis=axes), group) / n
        invstd = 1.0 / np.sqrt(var + eps)
        xhat = (centred * invstd.reshape(bshape).astype(a.dtype)).astype(a.dtype)
        y = xhat
        if weight is not None:
            y = y * weight._data.reshape(bshape)
        if bias is not None:
            y = y + bias._data.reshape(bshape)
        if running_mean is not None:
            rm, rv = running_mean._data, running_var._data
            rm[...] = (1 - momentum) * rm + momentum * mean
            rv[...] = (1 - momentum) * rv + momentum * var * (n / (n - 1))
            running_mean._bump_version()
            running_var._bump_version()
        ctx.xhat, ctx.invstd, ctx.n, ctx.group = xhat, invstd.astype(a.dtype), n, group
        ctx.weight = None if weight is None else weight._data
        ctx.has_bias = bias is not None
        return Tensor._make(y.astype(a.dtype, copy=False))

    @staticmethod
    def backward(ctx, grad):
        g, xhat = grad._data, ctx.xhat
        C = g.shape[1]
        axes = (0,) + tuple(range(2, g.ndim))
        bshape = (1, C) + (1,) * (g.ndim - 2)
        sum_dy = g.sum(axis=axes, dtype=np.float64)
        sum_dy_xhat = (g * xhat).sum(axis=axes, dtype=np.float64)
        dx = None
        if ctx.needs_input_grad[0]:
            total = _all_reduce(np.concatenate([sum_dy, sum_dy_xhat]), ctx.group)
            mean_dy = (total[:C] / ctx.n).astype(g.dtype).reshape(bshape)
            mean_dy_xhat = (total[C:] / ctx.n).astype(g.dtype).reshape(bshape)
            scale = ctx.invstd if ctx.weight is None else ctx.invstd * ctx.weight
            dx = Tensor._make(scale.reshape(bshape) * (g - mean_dy - xhat * mean_dy_xhat))
        dw = Tensor._make(sum_dy_xhat.astype(g.dtype)) if ctx.weight is not None else None
        db = Tensor._make(sum_dy.astype(g.dtype)) if ctx.has_bias else None
        return dx, dw, db, None, None, None, None, None


class SyncBatchNorm(_BatchNorm):
    """BatchNorm whose training statistics (mean and variance per channel) are computed over
    the batches of all ranks of ``process_group`` together, as if one process saw the whole
    batch. Use it when each rank's batch is too small for good statistics. Outside training,
    or without a process group of more than one rank, it is an ordinary BatchNorm.

    ``SyncBatchNorm.convert_sync_batchnorm(model)`` replaces every BatchNorm*d of a model.

    Example (with the process group initialised):
        >>> model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # doctest: +SKIP
        >>> ddp = nn.parallel.DistributedDataParallel(model)  # doctest: +SKIP
    """

    _expected_dims = (2, 3, 4, 5)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group=None,
        device=None,
        dtype=None,
    ):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def forward(self, input):
        synced = (
            self.training and dist.is_initialized() and dist.get_world_size(self.process_group) > 1
        )
        if not synced:
            return super().forward(input)
        self._check_input(input)
        factor = self._update_factor()
        return _SyncBatchNormFunction.apply(
            input,
            self.weight,
            self.bias,
            self.running_mean,
            self.running_var,
            self.eps,
            factor,
            self.process_group,
        )

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """A copy of ``module``'s structure with every BatchNorm*d replaced by a
        SyncBatchNorm that shares its parameters and running statistics."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                process_group,
            )
            if module.affine:
                out.weight = module.weight
                out.bias = module.bias
            if module.track_running_stats:
                out.running_mean = module.running_mean
                out.running_var = module.running_var
                out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out
