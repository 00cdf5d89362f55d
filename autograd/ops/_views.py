"""Views: marking an op's result as sharing its input's memory, as torch's view ops do.

The view ops of every family (basic indexing here in indexing.py; select, narrow, diagonal
in slicing.py; reshape, permute, expand in movement.py; unbind's pieces in join.py) call
``_view_of`` (or ``_basic_view`` / ``_views_of``, its fast paths) on their result; in-place
ops (inplace.py) read what they record. indexing.py re-exports these names.
"""

from __future__ import annotations

import weakref

from ..grad_mode import _grad_enabled
from ..tensor import Tensor


_make = Tensor._make  # (bound once: the view fast paths run it for every piece of a batch)


# ---- views ----------------------------------------------------------------------------------
# A view op's output shares memory with its input, as in PyTorch (basic indexing, select,
# narrow, reshape when possible, permute, expand, diagonal, ...). ``_view_of`` marks it:
#
# * it shares its base's version counter, so an in-place change through either one
#   invalidates values saved from the other;
# * ``out._view = (base, steps, made_in_no_grad)``: ``base`` is the tensor that is not itself
#   a view (views of views point at the root, like torch's ``_base``), and ``steps`` is a
#   tuple of ``(op class, param)`` that replays the view from the base, on a Tensor
#   (``cls.apply(base, **{cls.view_param: param})``) or on an array (``cls.forward``);
# * the base keeps a weak reference to the view (``base._views``).
#
# An in-place write through the view then rebases the base's history and regenerates the
# history of its live views (``ops/inplace.py``); see docs/design-notes.md.
class _ViewRefs(list):
    """Weak references to a base's views. Dead references are dropped whenever the list
    has doubled since the last clean-up, so slicing a long-lived tensor in a loop keeps it
    small at an amortised O(1) cost per view."""

    __slots__ = ("limit",)

    def __init__(self):
        super().__init__()
        self.limit = 16

    def prune(self):
        self[:] = [r for r in self if r() is not None]
        self.limit = 2 * len(self) + 16


_weakref = weakref.ref


_GRAD_KINDS = "fcV"  # float, complex, and ml_dtypes' bfloat16 (kind "V")


def _view_of(out: Tensor, input: Tensor, op, param) -> Tensor:
    """Mark ``out = op(input, param)`` as a view of ``input``'s base if NumPy returned a view
    (it copies for advanced indices and for some reshapes); returns ``out``.

    This runs for every view op, so it is kept to a few attribute reads and writes."""
    arr = out._data.base
    if arr is None or (arr is not input._data and arr is not input._data.base):
        return out
    view = input._view
    no_grad = out.grad_fn is None and not _grad_enabled.get()  # (recorded: grad mode is on)
    if view is None:
        base, steps = input, ((op, param),)
    else:
        base, steps, no_grad = view[0], view[1] + ((op, param),), view[2] or no_grad
    out._version_cell = base._version_cell
    out._view = (base, steps, no_grad)
    if arr.dtype.kind in _GRAD_KINDS and _base_knows_views(base, no_grad):
        _remember_view(base, out)
    return out


def _basic_view(arr, input: Tensor, op, param) -> Tensor:
    """``_view_of(Tensor._make(arr), input, op, param)`` for an ``arr`` that basic indexing
    (slices, ints) of ``input``'s array made outside grad recording: such an array is
    always a view of ``input``'s memory, so the test of ``_view_of`` is skipped, and the
    bookkeeping is written out for a tensor without a node. ``data[i : i + n]`` in a batch
    loader runs it for every row."""
    out = _make(arr)
    view = input._view
    if view is None:
        base, steps, no_grad = input, ((op, param),), not _grad_enabled.get()
    else:
        base, steps, no_grad = view[0], view[1] + ((op, param),), view[2] or not _grad_enabled.get()
    out._version_cell = base._version_cell
    out._view = (base, steps, no_grad)
    if arr.dtype.kind in _GRAD_KINDS and _base_knows_views(base, no_grad):
        _remember_view(base, out)
    return out


def _base_knows_views(base: Tensor, no_grad: bool) -> bool:
    """Whether ``base`` must list its views (to regenerate them after an in-place op), for a
    base of a floating-point or complex dtype (``_GRAD_KINDS``). Views made in no_grad mode
    are never regenerated (torch refuses to rebase them), and a leaf that requires grad can
    never be rebased: neither needs to know its views. A base of an integer or bool dtype
    (``for i in index_tensor``, ``data[i : i + 8]``) never does either: no in-place op gives
    it a grad_fn. The callers test the dtype first, which spares such views this call."""
    return not no_grad and (base.grad_fn is not None or not base._requires_grad)


def _remember_view(base: Tensor, out: Tensor) -> None:
    refs = base._views
    if refs is None:
        base._views = refs = _ViewRefs()
    refs.append(_weakref(out))
    if len(refs) > refs.limit:
        refs.prune()


def _views_of(arrs, input: Tensor, op, params) -> tuple:
    """``tuple(_view_of(Tensor._make(a), input, op, p) for a, p in zip(arrs, params))`` for
    many views of one input at once (``unbind``'s pieces): the bookkeeping all pieces share
    (the base, the steps before this one, grad mode) is worked out once, from the first."""
    if not arrs:
        return ()
    first = _view_of(_make(arrs[0]), input, op, params[0])
    if first._view is None:  # NumPy copied (never for basic indexing): the general path
        return (first, *(_view_of(_make(a), input, op, p) for a, p in zip(arrs[1:], params[1:])))
    base, steps, no_grad = first._view
    before, cell = steps[:-1], first._version_cell
    knows = first._data.dtype.kind in _GRAD_KINDS and _base_knows_views(base, no_grad)
    outs = [first]
    rest = zip(arrs, params)
    next(rest)
    for a, p in rest:  # (each piece made and marked in one pass)
        o = _make(a)
        o._version_cell = cell
        o._view = (base, before + ((op, p),), no_grad)
        if knows:
            _remember_view(base, o)
        outs.append(o)
    return tuple(outs)
