"""Variable-length sequences for RNNs (``torch.nn.utils.rnn``).

A batch of sequences of different lengths is either *padded* into one tensor
(``pad_sequence``) or *packed* (``pack_padded_sequence`` / ``pack_sequence``): a
``PackedSequence`` keeps only the real steps, time-major — first step 1 of every sequence,
then step 2 of those that are at least 2 long, and so on (``batch_sizes`` counts them), with
the sequences sorted longest first. ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` accept it and
then stop each sequence at its own length, so padding never leaks into the final hidden
state. Everything here is built from differentiable ops (gradients flow through packing).

Example:
    >>> from nn.utils.rnn import pack_sequence, pad_packed_sequence
    >>> seqs = [autograd.ones(3, 1), autograd.ones(1, 1) * 2]
    >>> packed = pack_sequence(seqs)
    >>> packed.batch_sizes.tolist(), packed.data.flatten().tolist()
    ([2, 1, 1], [1.0, 2.0, 1.0, 1.0])
    >>> padded, lengths = pad_packed_sequence(packed, batch_first=True)
    >>> padded.shape, lengths.tolist()
    (autograd.Size([2, 3, 1]), [3, 1])
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

import autograd
from autograd import Tensor

__all__ = [
    "PackedSequence",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "pack_sequence",
    "unpack_sequence",
    "unpad_sequence",
    "invert_permutation",
]


class PackedSequence(
    namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])
):
    """Packed variable-length sequences (made by ``pack_padded_sequence``/``pack_sequence``).

    ``data``: (sum of lengths, *) the real steps, time-major; ``batch_sizes``: int64, how
    many sequences are still running at each step; ``sorted_indices``: the batch order
    packed (longest first; None when the input was already sorted); ``unsorted_indices``:
    its inverse.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> "PackedSequence":
        """``data.to(...)`` (dtype or device); the index tensors stay int64."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._replace(data=data)

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        self.data.cuda(*args, **kwargs)  # fails as torch's CPU build does
        return self

    def double(self):
        return self.to(autograd.float64)

    def float(self):
        return self.to(autograd.float32)

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation):
    """The permutation that undoes ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    inv = np.empty(len(permutation), np.int64)
    inv[permutation.numpy()] = np.arange(len(permutation))
    return autograd.tensor(inv)


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        return lengths.detach().numpy().astype(np.int64)
    return np.asarray(lengths, dtype=np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True) -> PackedSequence:
    """Pack a padded batch ``input`` (T, B, *) ((B, T, *) with ``batch_first``) whose
    sequences have ``lengths`` (a list or a CPU int tensor).

    With ``enforce_sorted=True`` the lengths must be in decreasing order; otherwise the
    batch is sorted here and ``sorted_indices`` records how.
    """
    lengths = _lengths_array(lengths)
    if batch_first:
        input = input.transpose(0, 1)
    if len(lengths) != input.shape[1]:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got "
            f"{len(lengths)} (batch_size={input.shape[1]})"
        )
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = autograd.tensor(order)
        input = input.index_select(1, sorted_indices)
    if len(lengths) and lengths[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element "
            "in 'lengths' that is <= 0"
        )
    if len(lengths) and lengths[0] > input.shape[0]:
        raise RuntimeError(
            f"pack_padded_sequence: a length of {lengths[0]} is longer than the "
            f"padded input ({input.shape[0]} steps)"
        )
    steps = int(lengths[0]) if len(lengths) else 0
    batch_sizes = np.array([(lengths > t).sum() for t in range(steps)], dtype=np.int64)
    data = autograd.cat([input[t, : int(n)] for t, n in enumerate(batch_sizes)], 0)
    return PackedSequence(data, autograd.tensor(batch_sizes), sorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo ``pack_padded_sequence``: returns ``(padded, lengths)`` in the original batch
    order, padded with ``padding_value`` to the longest length (or ``total_length``)."""
    data, batch_sizes = sequence.data, sequence.batch_sizes.numpy()
    steps, batch = len(batch_sizes), int(batch_sizes[0]) if len(batch_sizes) else 0
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                f"Expected total_length to be at least the length of the longest "
                f"sequence in input, but got total_length={total_length} and max "
                f"sequence length being {steps}"
            )
        steps_out = total_length
    else:
        steps_out = steps
    rows, start = [], 0
    feat = tuple(data.shape[1:])
    for n in batch_sizes:
        n = int(n)
        row = data[start : start + n]
        if n < batch:
            row = autograd.cat(
                [row, autograd.full((batch - n,) + feat, padding_value, dtype=data.dtype)], 0
            )
        rows.append(row)
        start += n
    rows += [autograd.full((batch,) + feat, padding_value, dtype=data.dtype)] * (steps_out - steps)
    padded = autograd.stack(rows, 0)  # (T, B, *)
    lengths = np.array([(batch_sizes > b).sum() for b in range(batch)], dtype=np.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.numpy()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, autograd.tensor(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shape (L_i, *) into (L_max, B, *) ((B, L_max, *) with
    ``batch_first``), filling with ``padding_value`` on the ``padding_side``."""
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    longest = max(s.shape[0] for s in sequences)
    trailing = tuple(sequences[0].shape[1:])
    out = []
    for s in sequences:
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(
                f"pad_sequence: every sequence must have the trailing shape "
                f"{list(trailing)}, got {list(s.shape[1:])}"
            )
        gap = longest - s.shape[0]
        if gap:
            fill = autograd.full((gap,) + trailing, padding_value, dtype=s.dtype)
            s = autograd.cat([s, fill] if padding_side == "right" else [fill, s], 0)
        out.append(s)
    return autograd.stack(out, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted=True) -> PackedSequence:
    """Pack a list of tensors (L_i, *) (longest first, unless ``enforce_sorted=False``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of unpadded sequences (L_i, *) of a padded batch."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[: int(n)] for seq, n in zip(padded_sequences, _lengths_array(lengths))]


def unpack_sequence(packed_sequences):
    """The list of sequences (L_i, *) of a ``PackedSequence``, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
