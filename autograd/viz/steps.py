"""Backprop one node at a time: :func:`backprop_steps` records the engine's real backward.

``backprop_steps(loss)`` *is* ``loss.backward()`` (same engine, same order, same arrays, so
the same ``.grad``), run with an observer that writes down, for every node the engine
visits:

* the incoming gradient (the complete sum of what its consumers sent it);
* what its VJP (the local derivative applied to that gradient) sends to each input;
* how that contribution is accumulated into the input: the first contribution starts the
  sum, later ones are added (fan-in: a tensor used k times receives k contributions);
* for a leaf, how ``.grad`` changes.

The result is a sequence of frames: ``steps[k]`` (a :class:`Frame`, printable),
``steps.draw(k)`` (a picture with the current node highlighted), and in Jupyter a slider
player when ``ipywidgets`` is installed, otherwise the pictures one after another.
"""

from __future__ import annotations

import html

import numpy as np

from .. import engine as _engine
from ..function import _FREED
from ..tensor import AccumulateGrad
from ._graph import GraphData, _record_step
from .colors import GradColors
from .dot import build_dot, stats_lines
from .render import Graph, GraphvizNotFoundError, INSTALL_HINT


class Contribution:
    """One gradient sent along one edge, and the running sum at its destination."""

    __slots__ = (
        "edge",
        "target",
        "output_nr",
        "input_index",
        "value",
        "before",
        "after",
        "number",
        "total",
    )

    def __init__(self, edge, target, output_nr, input_index, value, before, after, number, total):
        self.edge = edge  # edge index in the graph (forward direction)
        self.target = target  # node index of the input's producer
        self.output_nr = output_nr
        self.input_index = input_index  # which input of the current node
        self.value = value  # the contribution (array)
        self.before = before  # accumulated before (None for the first)
        self.after = after  # accumulated after = before + value
        self.number = number  # this is contribution `number` of `total`
        self.total = total


class Frame:
    """What happened when the engine visited one node."""

    def __init__(
        self, index, node_index, name, module, incoming, contributions, leaf=None, grad_after=None
    ):
        self.index = index
        self.node_index = node_index
        self.name = name
        self.module = module
        self.incoming = incoming  # [array|None] per output of the node
        self.contributions = contributions  # [Contribution]
        self.leaf = leaf  # parameter name (or 'leaf') for AccumulateGrad
        self.grad_after = grad_after  # the leaf's .grad after this step

    def __str__(self):
        where = f"  (in {self.module})" if self.module else ""
        head = f"step {self.index + 1}: {self.name}{where}"
        lines = [head]
        for nr, g in enumerate(self.incoming):
            if g is not None:
                tag = "incoming grad" + (f"[{nr}]" if len(self.incoming) > 1 else "")
                lines += ["  " + s for s in stats_lines(g, tag)]
        if self.leaf is not None:
            lines.append(f"  .grad of {self.leaf} += incoming grad")
            if self.grad_after is not None:
                lines += ["  " + s for s in stats_lines(self.grad_after, ".grad now")]
        for c in self.contributions:
            sum_txt = (
                f"starts the sum (1 of {c.total})"
                if c.before is None
                else f"adds to the sum ({c.number} of {c.total})"
            )
            lines.append(f"  -> input {c.input_index}: {sum_txt}")
            lines += ["     " + s for s in stats_lines(c.value, "sent")]
        return "\n".join(lines)

    __repr__ = __str__


class BackpropSteps:
    """The recorded frames of one backward pass; see :func:`backprop_steps`."""

    def __init__(self, data, frames, colors, max_nodes=None):
        self.data = data
        self.frames = frames
        self.colors = colors
        self.max_nodes = max_nodes
        self._graphs = {}

    def __len__(self):
        return len(self.frames)

    def __getitem__(self, k):
        return self.frames[k]

    def __iter__(self):
        return iter(self.frames)

    @property
    def order(self):
        """The autograd nodes in the order the engine ran them."""
        return [self.data.order[f.node_index] for f in self.frames]

    def grads_at(self, k=-1):
        """{node index: accumulated gradient array} after frame ``k`` (leaves: their .grad)."""
        k = range(len(self.frames))[k]
        acc = {}
        for f in self.frames[: k + 1]:
            for c in f.contributions:
                acc[c.target] = c.after
            if f.grad_after is not None:
                acc[f.node_index] = f.grad_after
        return acc

    def leaf_grads(self, k=-1):
        """{leaf Tensor id: gradient array accumulated up to frame k} (see grads_at)."""
        return {
            id(self.data.order[i].variable): g
            for i, g in self.grads_at(k).items()
            if self.data.is_leaf(i)
        }

    def text(self):
        return "\n\n".join(str(f) for f in self.frames)

    # ---- pictures ------------------------------------------------------------------
    def draw(self, k) -> Graph:
        """The graph after frame ``k``: the current node and its edges highlighted, nodes
        still waiting for gradient in grey, partial fan-in sums labelled."""
        k = range(len(self.frames))[k]
        if k in self._graphs:
            return self._graphs[k]
        data, f = self.data, self.frames[k]
        node_grads, edge_grads, counts = {}, {}, {}
        done = set()
        for fr in self.frames[: k + 1]:
            done.add(fr.node_index)
            node_grads[fr.node_index] = fr.incoming if fr.grad_after is None else [fr.grad_after]
            for c in fr.contributions:
                edge_grads[c.edge] = c.value
                counts[c.target] = c.number
                if c.target not in done:
                    node_grads[c.target] = [c.after]
        pending = set(range(len(data))) - done
        node_notes = {}
        for t, n in counts.items():
            total = len(data.consumers[t])
            if t not in done and total > 1:
                node_notes[t] = [f"\u03a3 {n} of {total} contributions so far"]
        edge_notes = {}
        for c in f.contributions:
            edge_notes[c.edge] = "= g" if c.before is None else f"+ g ({c.number}/{c.total})"
        notes = node_notes.setdefault(f.node_index, [])
        notes.append(
            f"\u25b6 step {f.index + 1}: "
            + ("accumulate into .grad" if f.leaf is not None else "apply VJP, send to inputs")
        )
        source, boxes = build_dot(
            data,
            show="both",
            max_nodes=self.max_nodes,
            colors=self.colors,
            title=f"backprop step {f.index + 1} of {len(self.frames)}: {f.name}",
            frame={
                "node_grads": node_grads,
                "edge_grads": edge_grads,
                "current": {f.node_index},
                "pending": pending,
                "edge_notes": edge_notes,
                "node_notes": node_notes,
                "source": "accumulated so far in this pass",
            },
        )
        g = self._graphs[k] = Graph(source, num_nodes=len(boxes))
        return g

    def player(self):
        """An ipywidgets slider over the frames (raises ImportError without ipywidgets)."""
        import ipywidgets as w

        n = len(self.frames)
        slider = w.IntSlider(min=0, max=max(n - 1, 0), value=0, description="step")
        play = w.Play(min=0, max=max(n - 1, 0), value=0, interval=900)
        w.jslink((play, "value"), (slider, "value"))
        view = w.HTML(value=self._frame_html(0))
        slider.observe(
            lambda ch: setattr(view, "value", self._frame_html(ch["new"])), names="value"
        )
        return w.VBox([w.HBox([play, slider]), view])

    def _frame_html(self, k):
        text = f"<pre>{html.escape(str(self.frames[k]))}</pre>"
        try:
            return self.draw(k).svg() + text
        except GraphvizNotFoundError:
            return text
        except Exception as e:  # a picture problem must not break the player
            return text + f"<p>viz: could not render: {html.escape(str(e))}</p>"

    def _repr_html_(self, max_frames=40):
        """Static sequence of pictures (used when ipywidgets is not installed)."""
        parts = [f"<p><b>backprop_steps</b>: {len(self.frames)} steps in engine order</p>"]
        shown = self.frames[:max_frames]
        try:
            for f in shown:
                parts.append(self.draw(f.index).svg())
                parts.append(f"<pre>{html.escape(str(f))}</pre>")
        except GraphvizNotFoundError:
            parts = parts[:1] + [
                f"<pre>{html.escape(self.text())}</pre>",
                f"<pre>{html.escape(INSTALL_HINT)}</pre>",
            ]
            return "".join(parts)
        if len(self.frames) > max_frames:
            parts.append(
                f"<p>... {len(self.frames) - max_frames} more steps: "
                "steps.draw(k) shows step k.</p>"
            )
        return "".join(parts)

    def _ipython_display_(self):
        from IPython.display import HTML, display

        try:
            display(self.player())
        except ImportError:
            display(HTML(self._repr_html_()))

    def __repr__(self):
        names = ", ".join(f.name for f in self.frames[:6])
        more = ", ..." if len(self.frames) > 6 else ""
        return f"<BackpropSteps: {len(self.frames)} steps: {names}{more}>"


def backprop_steps(
    loss,
    params=None,
    *,
    gradient=None,
    retain_graph=None,
    max_nodes=None,
    vanishing=1e-6,
    exploding=1e3,
) -> BackpropSteps:
    """Run ``loss.backward()`` and record it one node at a time, in the engine's order.

    The gradients are exactly those of a plain ``backward()`` (it is one; the recording
    only reads). Use it *instead of* ``loss.backward()``.

    Example:
        >>> import autograd
        >>> x = autograd.tensor([1.0, 2.0], requires_grad=True)
        >>> steps = autograd.viz.backprop_steps((x * x).sum(), params={"x": x})
        >>> [f.name for f in steps]
        ['SumBackward0', 'MulBackward0', 'AccumulateGrad']
        >>> steps[1].contributions[1].number       # x is used twice: fan-in of 2
        2
    """
    data = GraphData(loss, params)
    for node in data.order:
        if type(node) is not AccumulateGrad and node._saved is _FREED:
            raise RuntimeError(
                "viz.backprop_steps: the graph was already freed by a backward() call. Call "
                "backprop_steps(loss) instead of loss.backward() (it runs the backward pass "
                "itself), or use loss.backward(retain_graph=True) first."
            )
    data.value(0)  # read forward values now: backward frees what nodes saved
    frames = []
    running = {}  # (target node index, output_nr) -> accumulated so far
    received = {}  # target node index -> contributions received so far
    index, edges, producers = data.index, data.edges, data.producers

    def observe(node, grads, grads_in):
        i = index.get(node)
        if i is None:  # not part of this graph (another backward running concurrently)
            return
        incoming = [None if g is None else np.asarray(getattr(g, "_data", g)) for g in grads]
        contribs, leaf, after = [], None, None
        if grads_in is None:
            var = node.variable
            leaf = data.leaf_name(i) or "leaf"
            after = None if var._grad is None else var._grad._data.copy()
        else:
            for k in producers[i]:
                p, nr, _, inp = edges[k]
                g = grads_in[inp] if inp < len(grads_in) else None
                if g is None:
                    continue
                g = np.asarray(getattr(g, "_data", g))
                before = running.get((p, nr))
                new = g if before is None else before + g  # same sum as the engine's buffer
                running[(p, nr)] = new
                received[p] = received.get(p, 0) + 1
                contribs.append(
                    Contribution(k, p, nr, inp, g, before, new, received[p], len(data.consumers[p]))
                )
        frames.append(
            Frame(len(frames), i, node.name(), data.module_of(i), incoming, contribs, leaf, after)
        )

    _engine._step_observers.extend((observe, _record_step))
    try:
        _engine.backward(loss, gradient, retain_graph=retain_graph)
    finally:
        _engine._step_observers.remove(observe)
        _engine._step_observers.remove(_record_step)
    return BackpropSteps(data, frames, GradColors(vanishing, exploding), max_nodes)
