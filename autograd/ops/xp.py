"""The two array namespaces a built-in op's backward (VJP) is written against.

``backward(ctx, grad, xp)`` uses operators (``grad * y``) and ``xp.<function>``. The engine
passes

* ``NUMPY``: gradients are ndarrays and ``xp.exp`` is ``np.exp`` -- an ordinary
  ``backward()`` creates no Tensors and records nothing (fast);
* ``TENSOR``: gradients are Tensors and ``xp.exp`` is ``autograd.exp`` -- used with
  ``create_graph=True`` so the backward pass is recorded and can be differentiated again.

So each VJP is written once and is automatically twice-differentiable. Families add the
functions their VJPs need with ``define(name, numpy=..., tensor=...)``; a test checks that
both namespaces offer the same names.
"""

from __future__ import annotations


class Namespace:
    def __init__(self, name: str, graph: bool):
        self.name = name
        self.graph = graph  # True when gradients are Tensors being recorded

    def __repr__(self):
        return f"<xp namespace {self.name}>"


NUMPY = Namespace("numpy", graph=False)
TENSOR = Namespace("tensor", graph=True)


def define(name: str, *, numpy, tensor):
    """Make ``xp.<name>`` available to VJPs in both namespaces."""
    setattr(NUMPY, name, numpy)
    setattr(TENSOR, name, tensor)


def names(ns: Namespace) -> set:
    return {k for k in vars(ns) if k not in ("name", "graph")}
