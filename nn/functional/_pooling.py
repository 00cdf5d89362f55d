"""The ``*_with_indices`` forms of the max pools (torch.nn.functional names): the pool with
``return_indices=True``, always returning ``(values, indices)``."""

from __future__ import annotations

import autograd

__all__ = [
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
]


def _max_pool_with_indices(nd):
    pool = getattr(autograd, f"max_pool{nd}d")

    def with_indices(
        input,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        ceil_mode=False,
        return_indices=False,
    ):
        return pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)

    with_indices.__name__ = with_indices.__qualname__ = f"max_pool{nd}d_with_indices"
    with_indices.__doc__ = (
        f"``max_pool{nd}d(..., return_indices=True)``: (values, flat indices of the maxima)."
    )
    return with_indices


def _adaptive_max_pool_with_indices(nd):
    pool = getattr(autograd, f"adaptive_max_pool{nd}d")

    def with_indices(input, output_size, return_indices=False):
        return pool(input, output_size, return_indices=True)

    with_indices.__name__ = with_indices.__qualname__ = f"adaptive_max_pool{nd}d_with_indices"
    with_indices.__doc__ = (
        f"``adaptive_max_pool{nd}d(..., return_indices=True)``: (values, "
        f"flat indices of the maxima)."
    )
    return with_indices


max_pool1d_with_indices = _max_pool_with_indices(1)
max_pool2d_with_indices = _max_pool_with_indices(2)
max_pool3d_with_indices = _max_pool_with_indices(3)
adaptive_max_pool1d_with_indices = _adaptive_max_pool_with_indices(1)
adaptive_max_pool2d_with_indices = _adaptive_max_pool_with_indices(2)
adaptive_max_pool3d_with_indices = _adaptive_max_pool_with_indices(3)
