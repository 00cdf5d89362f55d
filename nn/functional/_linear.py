"""linear, bilinear, embedding, embedding_bag, one_hot (functional forms)."""

from __future__ import annotations

import math

import numpy as np

import autograd
from autograd import Tensor
from autograd.errors import ShapeError, DTypeError
from autograd.ops.vision import take_along
from autograd import amp
from autograd.function import derive
from autograd.ops.linalg import Addmm, linear_as_addmm

__all__ = ["linear", "bilinear", "embedding", "embedding_bag", "one_hot"]


@amp.lower_precision
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` over the last dim (weight: (out_features, in_features)).

    Example:
        >>> F.linear(autograd.ones(2, 3), autograd.ones(4, 3)).shape
        autograd.Size([2, 4])
    """
    # (shapes as the arrays' tuples: ``Tensor.shape`` builds a Size on every call)
    in_shape = input._data.shape if isinstance(input, Tensor) else np.shape(input)
    if in_shape[-1:] != weight._data.shape[-1:] and weight._data.ndim == 2:
        rows = int(np.prod(input.shape[:-1])) if input.dim() > 1 else 1
        raise ShapeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
            f"{weight.shape[1]}x{weight.shape[0]})"
        )
    if linear_as_addmm(input, weight, bias):  # a batch of rows: one node, AddmmBackward0
        if len(in_shape) == 2:
            return Addmm.apply(input, weight, bias)
        # a stack of rows (a batch of sequences): as torch, a view as one matrix of rows,
        # one Addmm, the result viewed back (grad_fn ViewBackward0)
        rows = input.reshape(math.prod(in_shape[:-1]), in_shape[-1])
        out = Addmm.apply(rows, weight, bias)
        return out.view(*in_shape[:-1], weight._data.shape[0])
    out = autograd.matmul(input, weight.t())  # the general case
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
        raise ShapeError(
            f"bilinear: input1 and input2 must have the same batch dims, got "
            f"{list(input1.shape)} and {list(input2.shape)}"
        )
    if (
        weight.dim() != 3
        or weight.shape[1] != input1.shape[-1]
        or weight.shape[2] != input2.shape[-1]
    ):
        raise ShapeError(
            f"bilinear: weight of shape {list(weight.shape)} does not fit inputs with "
            f"{input1.shape[-1]} and {input2.shape[-1]} features; expected "
            f"(out_features, {input1.shape[-1]}, {input2.shape[-1]})"
        )
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


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm=None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` picked by integer ``input``; ``padding_idx``'s row gets no gradient.

    Example:
        >>> F.embedding(autograd.tensor([[0, 2]]), autograd.eye(3)).shape
        autograd.Size([1, 2, 3])
    """
    if not isinstance(input, Tensor):
        input = autograd.tensor(input)
    if input.dtype.name not in ("int64", "int32"):
        kind = {
            "float32": "FloatTensor",
            "float64": "DoubleTensor",
            "float16": "HalfTensor",
            "uint8": "ByteTensor",
            "int8": "CharTensor",
            "int16": "ShortTensor",
            "bool": "BoolTensor",
        }.get(input.dtype.name, input.dtype.name)
        raise DTypeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got autograd.{kind} instead (while checking arguments "
            "for embedding)"
        )
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported")
    num = weight._data.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            padding_idx += num
    if max_norm is not None:  # (rescales rows of weight in place: autograd.compile falls back)
        _renorm_rows_(weight, _rows(input._data, num), max_norm, norm_type)
    # the rows to pick come from the index tensor's values: derived (so a function compiled
    # by autograd.compile reads each call's own indices; docs/compile.md)
    if padding_idx is not None and weight.requires_grad:
        # the padding row's value is used but receives no gradient: take it from a detached copy
        keep, only_pad = derive(_padding_rows, input, num=num, padding_idx=padding_idx)
        rows = take_along(weight, 0, keep) + take_along(weight.detach(), 0, only_pad)
    else:
        # (``_rows`` checked the indices: the take and its VJP need not look at them again)
        rows = take_along(weight, 0, derive(_rows, input, num=num), in_range=True)
    if scale_grad_by_freq and rows.requires_grad:
        # each row's gradient divided by how often its index occurs in ``input``
        idx = _rows(input._data, num)
        counts = np.bincount(idx, minlength=num)[idx] if idx.size else idx
        rows = _ScaleGrad.apply(rows, (1.0 / counts).astype(rows._data.dtype)[:, None])
    return rows.reshape(input._data.shape + (weight._data.shape[1],))


class _ScaleGrad(autograd.Function):
    """The identity, whose backward multiplies the gradient by ``scale`` (an array)."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.detach()

    @staticmethod
    def backward(ctx, g):
        return g * autograd.tensor(ctx.scale), None


def _rows(indices: np.ndarray, num: int) -> np.ndarray:
    """``embedding``'s flat row indices, checked: torch has no negative indices here (-1 is
    an error, not the last row)."""
    idx = indices.astype(np.int64).reshape(-1)
    # one reduction checks both ends: read as uint64, a negative index is at least 2**63
    # (the ufunc's reduce directly: the ``max`` method's wrapper costs more than the work
    # for a batch of a few hundred indices)
    if idx.size and np.maximum.reduce(idx.view(np.uint64)) >= num:
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise IndexError(
            f"index out of range in self (embedding: index {bad} for a weight of "
            f"{num} rows; indices must be in [0, {num - 1}])"
        )
    return idx


def _padding_rows(indices: np.ndarray, num: int, padding_idx: int):
    """``_rows`` split in two: the rows other than ``padding_idx`` (-1, a zero, where it is
    padding) and the padding rows (-1 elsewhere)."""
    idx = _rows(indices, num)
    pad = idx == padding_idx
    return np.where(pad, -1, idx), np.where(pad, idx, -1)


def _renorm_rows_(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """torch's ``max_norm``: the rows ``idx`` of ``weight`` whose p-norm exceeds ``max_norm``
    are rescaled in place to norm ``max_norm`` (not recorded in the graph, like torch's
    ``embedding_renorm_``)."""
    rows = np.unique(idx)
    if not rows.size:
        return
    data = weight._data
    norms = np.linalg.norm(data[rows], ord=norm_type, axis=1)
    big = norms > max_norm
    data[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(data.dtype)
    weight._version_cell[0] += 1


def _index_tensor(t, name: str, opname: str) -> np.ndarray:
    if not isinstance(t, Tensor) or t.dtype.name not in ("int64", "int32"):
        kind = t.dtype.name if isinstance(t, Tensor) else type(t).__name__
        kind = {"float32": "FloatTensor", "float64": "DoubleTensor"}.get(kind, kind)
        raise DTypeError(
            f"Expected tensor for argument #1 '{name}' to have one of the following "
            f"scalar types: Long, Int; but got autograd.{kind} instead (while "
            f"checking arguments for {opname})"
        )
    return t._data.astype(np.int64)


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm=None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sums, means or maxima of bags of embedding rows, without materialising the rows of
    each bag as a padded tensor: ``input`` (B, N) holds B bags of N indices, or ``input``
    (M,) holds all bags concatenated with ``offsets`` (B,) their start positions.
    ``per_sample_weights`` (mode 'sum') weights each index; indices equal to
    ``padding_idx`` are left out (and not counted by 'mean'); an empty bag gives zeros.

    Example:
        >>> w = autograd.arange(6.0).reshape(3, 2)
        >>> F.embedding_bag(autograd.tensor([0, 2, 1]), w, autograd.tensor([0, 2]), mode="sum")
        tensor([[4., 6.],
                [2., 3.]])
    """
    if not isinstance(weight, Tensor) or weight.dim() != 2:
        raise ValueError(
            f"weight has to be a 2D Tensor, but got Tensor of dimension "
            f"{getattr(weight, 'ndim', 0)}"
        )
    idx = _index_tensor(input, "indices", "embedding_bag")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                f"if input is 2D, then offsets has to be None, as input is treated "
                f"is a mini-batch of fixed length sequences. However, found offsets "
                f"of type {type(offsets)}"
            )
        starts = np.arange(0, idx.size, max(idx.shape[1], 1))[: idx.shape[0]]
        bags, idx = idx.shape[0], idx.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = _index_tensor(offsets, "offsets", "embedding_bag")
        bags = starts.size - 1 if include_last_offset else starts.size
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}"
        )
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                f"on GitHub."
            )
        if per_sample_weights.shape != input.shape:
            raise ValueError(
                f"embedding_bag: If per_sample_weights ({per_sample_weights.shape!r}) "
                f"is not None, then it must have the same shape as the input "
                f"({input.shape!r})"
            )
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding_bag: scale_grad_by_freq and sparse are not supported")
    if starts.size and starts[0] != 0:
        raise ValueError(
            f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
            f"has to start from position 0. However, got {int(starts[0])}"
        )
    if starts.size and starts[-1] > idx.size:
        raise ValueError(
            f"offsets[-1] can not be greater than input's length {idx.size} but got "
            f"offsets[-1] of {int(starts[-1])}"
        )
    if np.any(np.diff(starts) < 0):
        raise ValueError(f"embedding_bag: offsets must be non-decreasing, got {starts.tolist()}")
    num = weight.shape[0]
    bad = (idx < 0) | (idx >= num)
    if bad.any():
        k = int(np.argmax(bad))
        raise IndexError(
            f"Index {k} of input takes value {int(idx[k])} which is not in the valid "
            f"range [0, {num})"
        )
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    # the bag of each index (the last bag runs to the end of input, as torch's reference
    # kernels do, whatever the last offset with include_last_offset)
    bag = np.searchsorted(starts[:bags], np.arange(idx.size), side="right") - 1
    keep = (bag >= 0) & (idx != padding_idx)
    if max_norm is not None:
        _renorm_rows_(weight, idx[keep], max_norm, norm_type)
    rows = take_along(weight, 0, idx[keep])  # (M', D)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1)[Tensor._make(np.flatnonzero(keep))].unsqueeze(
            1
        )
    dim = weight.shape[1]
    zeros = autograd.zeros(bags, dim, dtype=weight.dtype)
    if mode != "max":
        out = autograd.index_add(zeros, 0, Tensor._make(bag[keep]), rows)
        if mode == "mean":
            counts = np.bincount(bag[keep], minlength=bags)[:bags]
            out = out / Tensor._make(np.maximum(counts, 1).astype(weight._data.dtype)[:, None])
        return out
    # max: each output element is the bag's first maximal row in that column (torch's
    # backward sends the gradient there); an empty bag is 0
    data, kept_bag = rows._data, bag[keep]
    pick = np.zeros((bags, dim), np.int64)
    filled = np.zeros(bags, bool)
    for b in np.unique(kept_bag):
        members = np.flatnonzero(kept_bag == b)
        pick[b] = members[np.argmax(data[members], axis=0)]
        filled[b] = True
    if not data.shape[0]:  # (zeros that still belong to the graph)
        return autograd.index_add(zeros, 0, Tensor._make(kept_bag), rows)
    out = rows.gather(0, Tensor._make(pick))
    return autograd.where(Tensor._make(filled[:, None]), out, zeros)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer classes -> one-hot int64 tensor with a new last dim (torch.nn.functional.one_hot).

    Example:
        >>> F.one_hot(autograd.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    return autograd.one_hot(tensor, num_classes)
