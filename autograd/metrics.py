"""Classification metrics as plain functions on tensors (or arrays).

Example:
    >>> import autograd
    >>> from autograd.metrics import accuracy, confusion_matrix
    >>> logits = autograd.tensor([[2.0, 1.0], [0.1, 0.9], [3.0, -1.0]])
    >>> target = autograd.tensor([0, 1, 1])
    >>> round(accuracy(logits, target), 4)
    0.6667
    >>> confusion_matrix(logits.argmax(1), target, num_classes=2).tolist()
    [[1, 0], [1, 1]]
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor

__all__ = ["accuracy", "confusion_matrix", "precision_recall_f1"]


def _np(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def accuracy(output, target, topk=1):
    """Fraction of samples whose target is among the ``topk`` highest scores.

    ``output`` is (N, C) scores or (N,) predicted labels; ``topk`` an int or a tuple of ints
    (then a tuple of accuracies is returned, like the classic ImageNet helper).
    """
    out, tgt = _np(output), _np(target).astype(np.int64)
    ks = (topk,) if isinstance(topk, int) else tuple(topk)
    if out.ndim == 1:
        if ks != (1,):
            raise ValueError("top-k accuracy needs (N, C) scores, got predicted labels")
        res = (float(np.mean(out == tgt)) if len(tgt) else 0.0,)
    else:
        if out.shape[0] != tgt.shape[0]:
            raise ValueError(
                f"accuracy: output has {out.shape[0]} rows but target has {tgt.shape[0]}"
            )
        order = np.argsort(-out, axis=1, kind="stable")
        res = tuple(
            float(np.mean(np.any(order[:, :k] == tgt[:, None], axis=1))) if len(tgt) else 0.0
            for k in ks
        )
    return res[0] if isinstance(topk, int) else res


def confusion_matrix(pred, target, num_classes=None):
    """``M[i, j]`` = number of samples of true class ``i`` predicted as class ``j`` (int64)."""
    p, t = _np(pred).astype(np.int64).ravel(), _np(target).astype(np.int64).ravel()
    if p.shape != t.shape:
        raise ValueError(f"confusion_matrix: pred has {p.size} labels but target has {t.size}")
    n = int(
        num_classes if num_classes is not None else max(p.max(initial=-1), t.max(initial=-1)) + 1
    )
    m = np.zeros((n, n), np.int64)
    np.add.at(m, (t, p), 1)
    return Tensor._make(m)


def precision_recall_f1(pred, target, num_classes=None, average="macro"):
    """Precision, recall and F1: ``average='macro'`` (mean over classes), ``'micro'``
    (global counts) or ``None`` (per-class tensors). Classes with no predicted / true
    samples count as 0, as scikit-learn's ``zero_division=0``."""
    m = confusion_matrix(pred, target, num_classes)._data.astype(np.float64)
    tp = np.diag(m)
    pred_pos, true_pos = m.sum(0), m.sum(1)
    if average == "micro":
        total = m.sum()
        p = r = tp.sum() / total if total else 0.0
        f = p
        return float(p), float(r), float(f)
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.where(pred_pos > 0, tp / pred_pos, 0.0)
        rec = np.where(true_pos > 0, tp / true_pos, 0.0)
        f1 = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0.0)
    if average is None:
        return Tensor._make(prec), Tensor._make(rec), Tensor._make(f1)
    if average == "macro":
        return float(prec.mean()), float(rec.mean()), float(f1.mean())
    raise ValueError(f"average must be 'macro', 'micro' or None, got {average!r}")
