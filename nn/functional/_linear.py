"""linear, bilinear, embedding, one_hot (functional forms)."""
from __future__ import annotations

import numpy as np

import autograd
from autograd import Tensor
from autograd.errors import ShapeError, DTypeError
from autograd.ops.vision import take_along
from autograd import amp
from autograd.function import derive

__all__ = ["linear", "bilinear", "embedding", "one_hot"]


@amp.lower_precision
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` over the last dim (weight: (out_features, in_features)).

    Example:
        >>> F.linear(autograd.ones(2, 3), autograd.ones(4, 3)).shape
        autograd.Size([2, 4])
    """
    if input.shape[-1:] != weight.shape[-1:] and weight.dim() == 2:
        rows = int(np.prod(input.shape[:-1])) if input.dim() > 1 else 1
        raise ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
                         f"{weight.shape[1]}x{weight.shape[0]})")
    out = autograd.matmul(input, weight.t())
    if bias is not None:
        out = out + bias
    return out


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_k = x1 @ W_k @ x2 + b_k`` (weight: (out, in1, in2)).

    Example:
        >>> F.bilinear(autograd.ones(2, 3), autograd.ones(2, 4), autograd.ones(5, 3, 4)).shape
        autograd.Size([2, 5])
    """
    if input1.shape[:-1] != input2.shape[:-1]:
        raise ShapeError(f"bilinear: input1 and input2 must have the same batch dims, got "
                         f"{list(input1.shape)} and {list(input2.shape)}")
    if weight.dim() != 3 or weight.shape[1] != input1.shape[-1] or weight.shape[2] != input2.shape[-1]:
        raise ShapeError(f"bilinear: weight of shape {list(weight.shape)} does not fit inputs with "
                         f"{input1.shape[-1]} and {input2.shape[-1]} features; expected "
                         f"(out_features, {input1.shape[-1]}, {input2.shape[-1]})")
    out_f, n1, n2 = weight.shape
    batch = input1.shape[:-1]
    x1 = input1.reshape(-1, n1)
    x2 = input2.reshape(-1, n2)
    # (B, n1) @ (n1, out*n2) -> (B, out, n2), then contract n2 with x2
    t = autograd.matmul(x1, weight.permute(1, 0, 2).reshape(n1, out_f * n2)).reshape(-1, out_f, n2)
    out = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        out = out + bias
    return out.reshape(*batch, out_f)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm=None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by integer ``input``; ``padding_idx``'s row gets no gradient.

    Example:
        >>> F.embedding(autograd.tensor([[0, 2]]), autograd.eye(3)).shape
        autograd.Size([1, 2, 3])
    """
    if not isinstance(input, Tensor):
        input = autograd.tensor(input)
    if input.dtype.name not in ("int64", "int32"):
        kind = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                "uint8": "ByteTensor", "int8": "CharTensor", "int16": "ShortTensor",
                "bool": "BoolTensor"}.get(input.dtype.name, input.dtype.name)
        raise DTypeError("Expected tensor for argument #1 'indices' to have one of the following scalar "
                         f"types: Long, Int; but got autograd.{kind} instead (while checking arguments "
                         "for embedding)")
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported")
    num = weight.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            padding_idx += num
    # the rows to pick come from the index tensor's values: derived (so a function compiled
    # by autograd.compile reads each call's own indices; docs/compile.md)
    if padding_idx is not None and weight.requires_grad:
        # the padding row's value is used but receives no gradient: take it from a detached copy
        keep, only_pad = derive(_padding_rows, input, num=num, padding_idx=padding_idx)
        rows = take_along(weight, 0, keep) + take_along(weight.detach(), 0, only_pad)
    else:
        rows = take_along(weight, 0, derive(_rows, input, num=num))
    return rows.reshape(*input.shape, weight.shape[1])


def _rows(indices: np.ndarray, num: int) -> np.ndarray:
    """``embedding``'s flat row indices, checked: torch has no negative indices here (-1 is
    an error, not the last row)."""
    idx = indices.astype(np.int64).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise IndexError(f"index out of range in self (embedding: index {bad} for a weight of "
                         f"{num} rows; indices must be in [0, {num - 1}])")
    return idx


def _padding_rows(indices: np.ndarray, num: int, padding_idx: int):
    """``_rows`` split in two: the rows other than ``padding_idx`` (-1, a zero, where it is
    padding) and the padding rows (-1 elsewhere)."""
    idx = _rows(indices, num)
    pad = idx == padding_idx
    return np.where(pad, -1, idx), np.where(pad, idx, -1)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer classes -> one-hot int64 tensor with a new last dim (torch.nn.functional.one_hot).

    Example:
        >>> F.one_hot(autograd.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    return autograd.one_hot(tensor, num_classes)
