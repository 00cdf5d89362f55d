"""Nested containers of tensors ("pytrees"), for the function transforms in ``autograd.func``.

A pytree is a Tensor (or any other object: a *leaf*) or a tuple, list, dict or namedtuple of
pytrees; ``None`` is an empty node. ``tree_flatten`` lists the leaves in a fixed order and
returns a spec that ``tree_unflatten`` uses to put new leaves back in the same shape --
so ``grad`` of a function of ``{'w': w, 'b': b}`` can return ``{'w': dw, 'b': db}``.

Example:
    >>> leaves, spec = tree_flatten({"b": 2, "a": (1, None)})
    >>> leaves                       # dicts in insertion order, like torch's pytrees
    [2, 1]
    >>> tree_unflatten([10, 20], spec)
    {'b': 10, 'a': (20, None)}
"""

from __future__ import annotations


class TreeSpec:
    """The shape of a pytree: its node type, context (dict keys, namedtuple class) and the
    specs of its children. A leaf's spec has ``kind == "leaf"``."""

    __slots__ = ("children", "context", "kind")

    def __init__(self, kind, context=None, children=()):
        self.kind, self.context, self.children = kind, context, tuple(children)

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(c.num_leaves for c in self.children)

    def __eq__(self, other):
        return (
            isinstance(other, TreeSpec)
            and self.kind == other.kind
            and self.context == other.context
            and self.children == other.children
        )

    def __hash__(self):
        return hash((self.kind, self.children))

    def __repr__(self):
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join(repr(c) for c in self.children)
        if self.kind == "dict":
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.context, self.children))
            return "{" + inner + "}"
        if self.kind == "tuple":
            return f"({inner}{',' if len(self.children) == 1 else ''})"
        if self.kind == "list":
            return f"[{inner}]"
        return f"{self.context.__name__}({inner})"  # a namedtuple


LEAF = TreeSpec("leaf")


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def tree_flatten(tree):
    """``(leaves, spec)`` of a pytree."""
    leaves = []
    spec = _flatten(tree, leaves)
    return leaves, spec


def _flatten(tree, leaves) -> TreeSpec:
    if tree is None:
        return TreeSpec("none")
    if _is_namedtuple(tree):
        return TreeSpec("namedtuple", type(tree), [_flatten(v, leaves) for v in tree])
    if isinstance(tree, (tuple, list)):
        return TreeSpec(
            type(tree).__name__ if type(tree) in (tuple, list) else "list",
            None,
            [_flatten(v, leaves) for v in tree],
        )
    if isinstance(tree, dict):
        keys = list(tree)
        return TreeSpec("dict", tuple(keys), [_flatten(tree[k], leaves) for k in keys])
    leaves.append(tree)
    return LEAF


def tree_unflatten(leaves, spec: TreeSpec):
    """The pytree of shape ``spec`` holding ``leaves`` (in ``tree_flatten``'s order)."""
    it = iter(leaves)
    out = _build(spec, it)
    return out


def _build(spec, it):
    kind = spec.kind
    if kind == "leaf":
        return next(it)
    if kind == "none":
        return None
    children = [_build(c, it) for c in spec.children]
    if kind == "tuple":
        return tuple(children)
    if kind == "list":
        return children
    if kind == "dict":
        return dict(zip(spec.context, children))
    return spec.context(*children)


class StructureMismatch(ValueError):
    """``broadcast_prefix``: ``prefix`` does not fit ``tree`` (specs in ``args``)."""


def broadcast_prefix(prefix, tree):
    """Expand ``prefix`` (a pytree whose leaves apply to whole subtrees of ``tree``, e.g. one
    ``in_dim`` for a whole tuple of inputs) into one value per leaf of ``tree``; raises
    StructureMismatch(prefix_spec, tree_spec) when the structures do not match."""
    out = []
    _broadcast(prefix, tree, out)
    return out


def _broadcast(prefix, tree, out):
    _, tree_spec = tree_flatten(tree)
    if prefix is None or not isinstance(prefix, (tuple, list, dict)):
        out.extend([prefix] * tree_spec.num_leaves)
        return
    _, prefix_spec = tree_flatten(prefix)
    if (
        isinstance(prefix, dict) != isinstance(tree, dict)
        or not isinstance(tree, (tuple, list, dict))
        or len(prefix) != len(tree)
        or (isinstance(prefix, dict) and set(prefix) != set(tree))
    ):
        raise StructureMismatch(prefix_spec, tree_spec)
    if isinstance(prefix, dict):
        for k in tree:
            _broadcast(prefix[k], tree[k], out)
    else:
        for p, t in zip(prefix, tree):
            _broadcast(p, t, out)
