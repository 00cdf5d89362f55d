"""Flatten parameters into one vector and back."""

from __future__ import annotations

import numpy as np

import autograd
from autograd import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters) -> Tensor:
    """Concatenate the flattened parameters into one 1-D tensor (differentiable).

    Example:
        >>> nn.utils.parameters_to_vector(nn.Linear(2, 3).parameters()).shape
        autograd.Size([9])
    """
    flat = [p.reshape(-1) for p in parameters]
    if hasattr(autograd, "cat"):
        return autograd.cat(flat)
    return Tensor._make(np.concatenate([f._data for f in flat]))


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of ``vec`` into the parameters (in place, no graph).

    Example:
        >>> lin = nn.Linear(2, 1)
        >>> nn.utils.vector_to_parameters(autograd.zeros(3), lin.parameters()); lin.bias
        Parameter containing:
        tensor([0.], requires_grad=True)
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected autograd.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.dim() != 1 or vec.numel() != total:
        raise ValueError(
            f"vector_to_parameters: vec has shape {list(vec.shape)} but the parameters "
            f"have {total} elements in total"
        )
    src = vec._data
    offset = 0
    for p in params:
        n = p.numel()
        np.copyto(p._data, src[offset : offset + n].reshape(p._data.shape), casting="unsafe")
        p._version_cell[0] += 1
        offset += n
