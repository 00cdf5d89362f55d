"""Pictures that make backprop visible.

* :func:`draw` - the graph behind a tensor: ops, shapes, dtypes, values and gradients,
  coloured by gradient magnitude (log scale) with vanishing/exploding gradients flagged,
  grouped by ``nn.Module``, collapsed to at most ``max_nodes`` boxes; or, given a function
  or module compiled with ``autograd.compile``, the plan it replays (fused kernels as
  clusters).
* :func:`backprop_steps` - the engine's backward pass one node at a time.
* :func:`grad_flow` - per-parameter gradient norms as a matplotlib figure.
* :func:`record` - keep the intermediate gradients of a ``backward()`` for :func:`draw`.

Example:
    >>> import autograd
    >>> from autograd import viz
    >>> w = autograd.tensor([0.5, -1.0], requires_grad=True)
    >>> loss = (w * w).sum()
    >>> g = viz.draw(loss, params={"w": w})
    >>> "MulBackward0" in g.source and "w" in g.source
    True
"""

from __future__ import annotations

from ._graph import GraphData, record
from .colors import GradColors
from .dot import build_dot
from .flow import grad_flow
from .plan import compiled_plan, plan_dot
from .render import INSTALL_HINT, Graph, GraphvizNotFoundError
from .steps import BackpropSteps, backprop_steps

__all__ = [
    "draw",
    "backprop_steps",
    "grad_flow",
    "record",
    "Graph",
    "GraphvizNotFoundError",
    "INSTALL_HINT",
    "BackpropSteps",
    "GradColors",
]


def draw(
    outputs,
    params=None,
    *,
    show="both",
    values=True,
    grads=True,
    max_nodes=150,
    group_modules=True,
    collapse=None,
    vanishing=1e-6,
    exploding=1e3,
    legend=True,
    title=None,
    rankdir="TB",
) -> Graph:
    """Draw the autograd graph that produced ``outputs``, or a compiled function's plan.

    Args:
        outputs: a Tensor or a list of Tensors (e.g. the loss); or a function or module
            compiled with ``autograd.compile`` (after a call): the plan of its last call,
            one box per step, the steps of one fused kernel in a cluster (only ``title``
            and ``rankdir`` apply).
        params: names for leaves: a dict ``name -> Tensor`` or a Module (its
            ``named_parameters()``; its ``named_modules()`` also label clusters).
        show: ``'both'`` (values and gradients), ``'forward'`` (structure and values, no
            gradients) or ``'backward'`` (gradients, arrows reversed).
        values / grads: include the value / gradient statistics in the boxes.
        max_nodes: upper bound on drawn boxes; bigger graphs are collapsed (modules deepest
            and most repeated first, then long chains, then the part farthest from the
            outputs). ``None`` draws everything.
        group_modules: draw each ``nn.Module``'s nodes inside a labelled cluster.
        collapse: module paths (``'layers.0'``), module type names (``'Linear'``),
            Module objects, or ``True`` (all top-level modules) to draw as one box each.
        vanishing / exploding: gradient magnitude (mean |g|) thresholds for the flags.

    Gradients (all from one backward pass): the last backward run inside :func:`record`;
    else draw computes them itself while the graph is intact (before ``backward()`` or
    with ``retain_graph=True``; no ``.grad`` is changed); else only leaves' ``.grad``.

    Returns a :class:`Graph`: ``.source`` (DOT), ``.render(path)``, inline SVG in Jupyter.

    Example:
        >>> import autograd
        >>> x = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> g = autograd.viz.draw((x.tanh() * 2).sum(), params={"x": x})
        >>> g.num_nodes
        4
    """
    plan = compiled_plan(outputs)
    if plan is not None:
        source, n = plan_dot(plan, title=title, rankdir=rankdir)
        return Graph(source, num_nodes=n)
    data = GraphData(outputs, params)
    colors = GradColors(vanishing, exploding)
    source, boxes = build_dot(
        data,
        show=show,
        values=values,
        grads=grads,
        max_nodes=max_nodes,
        collapse=collapse,
        group_modules=group_modules,
        colors=colors,
        legend=legend,
        title=title,
        rankdir=rankdir,
    )
    return Graph(source, num_nodes=len(boxes))
