"""autograd.viz: DOT content, colours and flags, module clusters, the max_nodes cap,
rendering and the no-Graphviz fallback, backprop_steps frames, grad_flow."""

import gc
import math
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

import autograd as A
from autograd import engine, viz
from autograd.function import pop_scope, push_scope
from autograd.viz.colors import GradColors
from autograd.viz.dot import count_nodes

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz 'dot' is not installed")


def small_graph():
    """loss = sum(tanh(x * w) ** 2) with names; returns (loss, x, w, y)."""
    x = A.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 0.25]], requires_grad=True)
    w = A.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x * w).tanh()
    loss = (y * y).sum()
    return loss, x, w, y


def labels(src):
    """Plain text of every HTML label cell."""
    return [re.sub(r"<[^>]+>", "", m) for m in re.findall(r"<TD[^>]*>(.*?)</TD>", src)]


def node_lines(src):
    return [ln for ln in src.splitlines() if re.match(r"\s*n\d+ \[", ln)]


# ---- DOT content ------------------------------------------------------------------------
def test_node_count_op_names_shapes_and_param_names():
    loss, x, w, y = small_graph()
    g = viz.draw(loss, params={"inputs": x, "weight": w})
    assert g.source.startswith("digraph")
    # Sum, Mul(y*y), Tanh, Mul(x*w), Expand (w broadcast to x's shape), two leaves
    assert g.num_nodes == count_nodes(g.source) == 7
    text = labels(g.source)
    names = [loss.grad_fn.name(), y.grad_fn.name(), "MulBackward0", "ExpandBackward0"]
    for name in names:
        assert name in text
    assert text.count("MulBackward0") == 2
    assert "inputs" in text and "weight" in text
    assert "parameter \u00b7 2\u00d73 float32" in text
    assert "parameter \u00b7 3 float32" in text
    assert "scalar float32" in text
    # 7 graph edges, the two of y*y merged into one drawn edge labelled x2
    assert len(re.findall(r"^\s*n\d+ -> n\d+", g.source, re.M)) == 6
    assert 'label="\u00d72"' in g.source


def test_values_scalars_and_statistics():
    loss, x, w, y = small_graph()
    g = viz.draw(loss, params={"x": x, "w": w})
    text = labels(g.source)
    assert f"value {float(loss.item()):.4g}" in text
    yv = y.detach().numpy().astype(np.float64)
    assert f"value mean {yv.mean():.3g} std {yv.std():.3g}" in text
    assert any(t.strip() == f"min {yv.min():.3g} max {yv.max():.3g}" for t in text)
    xv = x.detach().numpy().astype(np.float64)
    assert f"value mean {xv.mean():.3g} std {xv.std():.3g}" in text


def test_gradients_side_pass_match_backward_and_leave_grad_untouched():
    loss, x, w, y = small_graph()
    y.retain_grad()
    g = viz.draw(loss, params={"x": x, "w": w})
    assert x.grad is None and w.grad is None  # draw never writes .grad
    assert "computed by viz" in g.source
    loss.backward()  # the graph is still usable: draw did not free it
    text = labels(g.source)
    for t in (x.grad, w.grad, y.grad):
        a = t.numpy().astype(np.float64)
        assert f"grad  mean {a.mean():.3g} std {a.std():.3g}" in text
    # after backward, leaves show their .grad; op nodes whose values were freed say so
    g2 = viz.draw(loss, params={"x": x, "w": w})
    xa = x.grad.numpy().astype(np.float64)
    assert f"grad  mean {xa.mean():.3g} std {xa.std():.3g}" in labels(g2.source)


def test_one_picture_shows_one_backward_pass():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    x.grad = A.tensor([100.0, 100.0])  # stale, e.g. a forgotten zero_grad()
    g = viz.draw((x * 3).sum(), params={"x": x})
    assert "grad  mean 3 std 0" in labels(g.source)  # this pass, not the stale .grad
    assert x.grad.tolist() == [100.0, 100.0]
    with pytest.raises(ZeroDivisionError):
        with viz.record():
            1 / 0
    assert not engine._step_observers


def test_side_pass_gradients_match_torch():
    torch = pytest.importorskip("torch")
    xs = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.25]], np.float32)
    ws = np.array([0.5, -1.0, 2.0], np.float32)
    x = A.tensor(xs, requires_grad=True)
    w = A.tensor(ws, requires_grad=True)
    h = (x * w).tanh()
    loss = (h * h).sum()
    data = viz.GraphData(loss)
    data.load_grads()
    th_x = torch.tensor(xs, requires_grad=True)
    th_w = torch.tensor(ws, requires_grad=True)
    th_h = (th_x * th_w).tanh()
    th_h.retain_grad()
    (th_h * th_h).sum().backward()
    i = data.index[h.grad_fn]
    np.testing.assert_allclose(data.node_grads[i][0], th_h.grad.numpy(), rtol=1e-6)
    j = data.index[w._grad_accumulator()]
    np.testing.assert_allclose(data.node_grads[j][0], th_w.grad.numpy(), rtol=1e-6)


def test_record_keeps_intermediate_gradients_of_a_real_backward():
    loss, x, w, y = small_graph()
    y.retain_grad()
    with viz.record():
        loss.backward()
    assert not engine._step_observers
    g = viz.draw(loss)
    assert "recorded backward()" in g.source
    a = y.grad.numpy().astype(np.float64)
    assert f"grad  mean {a.mean():.3g} std {a.std():.3g}" in labels(g.source)
    # values of tensors that only lived inside the graph were captured before freeing
    assert "value (not kept)" in labels(g.source)  # x * w was never saved by any op
    yv = y.detach().numpy().astype(np.float64)
    assert f"value mean {yv.mean():.3g} std {yv.std():.3g}" in labels(g.source)


def test_show_modes():
    loss, x, w, _ = small_graph()
    fwd = viz.draw(loss, show="forward")
    assert "grad " not in " ".join(labels(fwd.source))
    assert "dir=back" not in fwd.source and "forward graph" in fwd.source
    back = viz.draw(loss, show="backward")
    assert back.source.count("dir=back") == 6
    assert "value mean" not in " ".join(labels(back.source))
    both = viz.draw(loss, values=False)
    assert "value" not in " ".join(labels(both.source))
    with pytest.raises(ValueError, match="show must be"):
        viz.draw(loss, show="sideways")


def test_multiple_outputs_and_errors():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    a, b = (x * 2).sum(), x.exp().sum()
    g = viz.draw([a, b], params={"x": x})
    assert g.num_nodes == 5
    assert g.source.count("peripheries=2") == 2  # both outputs marked
    with pytest.raises(ValueError, match="requires grad"):
        viz.draw(A.tensor([1.0]) * 2)
    with pytest.raises(TypeError, match="Tensors"):
        viz.draw([np.ones(2)])
    with pytest.raises(ValueError, match="max_nodes"):
        viz.draw(a, max_nodes=1)


def test_html_special_characters_are_escaped():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    g = viz.draw((x * x).sum(), params={'w<0> & "b"': x})
    assert "w&lt;0&gt; &amp; &quot;b&quot;" in g.source
    if HAVE_DOT:
        assert "<svg" in g.svg()


# ---- colours and flags ------------------------------------------------------------------
def test_colour_scale_is_logarithmic_and_flags_thresholds():
    c = GradColors(vanishing=1e-6, exploding=1e3)
    assert c.classify(1e-7) == "vanishing" and c.classify(5e-6) == "ok"
    assert c.classify(1e4) == "exploding" and c.classify(float("nan"), False) == "nonfinite"
    assert c.position(1e-6) == 0.0 and c.position(1e3) == 1.0
    assert math.isclose(c.position(10**-1.5), 0.5)  # middle of the decades, not of values
    assert c.ramp(0.0) == "#440154" and c.ramp(1.0) == "#fde725"
    # each decade gets a different colour; flagged ones get the flag colours
    cols = [c.edge_color(10.0**e) for e in range(-6, 4)]
    assert len(set(cols)) == len(cols)
    assert c.edge_color(1e-9) == "#9e9e9e" and c.edge_color(1e9) == "#d62728"
    assert c.fill_color(1.0, False) == "#ffb3b3"
    with pytest.raises(ValueError):
        GradColors(vanishing=1.0, exploding=0.5)


@pytest.mark.parametrize(
    "scale,flag",
    [(1e-9, "vanishing"), (1e6, "exploding"), (float("inf"), "non-finite"), (1.0, None)],
)
def test_nodes_are_flagged_by_gradient_magnitude(scale, flag):
    x = A.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (x * scale).sum()
    g = viz.draw(loss, params={"x": x})
    leaf = [ln for ln in node_lines(g.source) if ">x<" in ln][0]
    c = GradColors()
    mag = abs(scale)
    assert f'color="{c.edge_color(mag, math.isfinite(mag))}"' in leaf
    flags = [t for t in labels(g.source) if t.startswith(("\u25bc", "\u25b2", "\u26a0"))]
    legend = g.source[g.source.index("legend [") :]
    if flag is None:
        assert not any(
            "vanishing" in t or "exploding" in t or "non-finite" in t for t in labels(leaf)
        )
        assert "(present)" not in legend
    else:
        assert any(flag in t for t in labels(leaf))
        assert flag in " ".join(flags)
        present = [t for t in labels(legend) if "(present)" in t]
        assert len(present) == 1 and flag in present[0]


def test_legend_lists_scale_and_flags():
    loss, *_ = small_graph()
    src = viz.draw(loss, vanishing=1e-4, exploding=1e2).source
    legend = labels(src[src.index("legend [") :])
    assert "1e-4" in legend and "1e2" in legend
    assert any("vanishing" in t for t in legend) and any("exploding" in t for t in legend)
    assert "legend" not in viz.draw(loss, legend=False).source


# ---- modules, collapsing and the cap -----------------------------------------------------
def mlp_with_scopes(depth=3, width=4, seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    x = A.tensor(rng.standard_normal((5, width)).astype(np.float32))
    h = x
    for i in range(depth):
        w = A.tensor(rng.standard_normal(width).astype(np.float32), requires_grad=True)
        b = A.tensor(np.zeros(width, np.float32), requires_grad=True)
        params[f"layers.{i}.weight"], params[f"layers.{i}.bias"] = w, b
        tok = push_scope(f"layers.{i}")
        h = (h * w + b).tanh()
        pop_scope(tok)
    return h.mean(), params


def test_clusters_follow_module_paths():
    loss, params = mlp_with_scopes()
    src = viz.draw(loss, params=params).source
    assert src.count("subgraph cluster_") == 4  # layers, layers.0, layers.1, layers.2
    for i in range(3):
        assert f'label="layers.{i}"' in src
        # the cluster holds its ops and its parameters
        block = src[src.index(f'label="layers.{i}"') :]
        block = block[: block.index("}")]
        assert "TanhBackward0" in block and f"layers.{i}.weight" in block
    flat = viz.draw(loss, params=params, group_modules=False).source
    assert "subgraph" not in flat


class _Scope:
    """What nn.Module.__call__ pushes: an object with .module, .path and .type_name."""

    def __init__(self, module, path):
        self.module, self.path, self.type_name = module, path, type(module).__name__


class _Block:
    def __init__(self, w):
        self.w = w

    def named_parameters(self, recurse=True):
        return [("w", self.w)]


def test_clusters_from_scope_objects_name_parameters_without_params():
    blocks = [_Block(A.tensor([0.5, 2.0], requires_grad=True)) for _ in range(2)]
    h = A.tensor([1.0, 1.0], requires_grad=True)
    for i, blk in enumerate(blocks):
        tok = push_scope(_Scope(blk, f"blocks.{i}"))
        h = (h * blk.w).sigmoid()
        pop_scope(tok)
    src = viz.draw(h.sum()).source
    assert 'label="blocks.1 (_Block)"' in src
    assert ">blocks.0.w<" in src and ">blocks.1.w<" in src
    assert ">leaf #1<" in src  # the unnamed input


def test_collapse_module_into_one_box():
    loss, params = mlp_with_scopes()
    full = viz.draw(loss, params=params)
    g = viz.draw(loss, params=params, collapse="layers.1")
    # layers.1: Mul, Add, Tanh, two Expands (broadcasting w and b) + weight + bias -> one box
    assert g.num_nodes == full.num_nodes - 6
    text = labels(g.source)
    assert "layers.1" in text and "module, collapsed: 5 ops, 2 params" in text
    assert "layers.1.weight" not in " ".join(text)
    every = viz.draw(loss, params=params, collapse=True)  # the top-level module "layers"
    assert every.num_nodes == 2  # MeanBackward0 + the collapsed "layers"
    with pytest.raises(ValueError, match="matches no module"):
        viz.draw(loss, params=params, collapse="decoder")


def _chain(n):
    x = A.tensor([0.5, -0.25, 1.0], requires_grad=True)
    h = x
    for _ in range(n // 2):
        h = (h * 1.001).tanh()
    return h.sum(), x


def _assert_capped(loss, max_nodes, **kw):
    t0 = time.perf_counter()
    g = viz.draw(loss, max_nodes=max_nodes, **kw)
    elapsed = time.perf_counter() - t0
    assert count_nodes(g.source) == g.num_nodes <= max_nodes
    assert elapsed < 30  # "a few seconds"; generous for loaded CI machines
    return g


def test_max_nodes_cap_on_a_10000_node_chain():
    loss, x = _chain(10_000)
    assert len(engine._topological_order([loss.grad_fn])) > 10_000
    g = _assert_capped(loss, 60, params={"x": x})
    text = " ".join(labels(g.source))
    assert "chain of" in text and "TanhBackward0 \u00d7" in text
    assert "contains \u25bc vanishing" in text  # tanh chains kill the gradient far back
    assert g.num_nodes == 60  # collapse only as much as needed
    if HAVE_DOT:
        assert "<svg" in g.svg()


def test_max_nodes_cap_on_10000_nodes_of_repeated_modules():
    x = A.tensor(np.ones(4, np.float32), requires_grad=True)
    w = A.tensor(np.full(4, 0.9, np.float32), requires_grad=True)
    h = x
    for i in range(2500):  # 4 nodes per block
        tok = push_scope(f"blocks.{i}")
        h = (h * w).sigmoid() + x * 0.5
        pop_scope(tok)
    loss = h.sum()
    assert len(engine._topological_order([loss.grad_fn])) > 10_000
    g = _assert_capped(loss, 40, params={"x": x, "w": w})
    text = " ".join(labels(g.source))
    assert "repeated modules blocks.#" in text  # the far blocks merged ...
    assert "blocks.2499" in text  # ... the last ones still drawn one by one
    assert "edges not drawn" in text  # the shared w/x would cross the whole picture
    if HAVE_DOT:
        assert "<svg" in g.svg()


def test_max_nodes_cap_on_a_wide_graph_truncates_far_nodes():
    leaves = [A.tensor([float(i)], requires_grad=True) for i in range(3400)]
    total = leaves[0] * 1.0
    for t in leaves[1:]:
        total = total + t * 2.0  # 3 nodes per leaf, nothing linear to merge
    g = _assert_capped(total.sum(), 100)
    assert "earlier nodes" in " ".join(labels(g.source))


# ---- rendering and the no-Graphviz fallback ---------------------------------------------
@needs_dot
@pytest.mark.parametrize("fmt,magic", [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_render_formats(tmp_path, fmt, magic):
    loss, x, w, _ = small_graph()
    g = viz.draw(loss, params={"x": x, "w": w})
    path = g.render(tmp_path / f"graph.{fmt}")
    assert open(path, "rb").read(5).startswith(magic[:4])
    bundle = g._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"] and "TanhBackward0" in bundle["image/svg+xml"]
    assert "<svg" in g._repr_svg_()
    with pytest.raises(ValueError, match="format"):
        g.render(tmp_path / "graph.gif", format="gif")


def test_without_dot_source_works_display_falls_back_render_explains(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no 'dot' anywhere
    assert shutil.which("dot") is None
    loss, x, w, _ = small_graph()
    g = viz.draw(loss, params={"x": x, "w": w})
    assert "TanhBackward0" in g.source
    bundle = g._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    for word in (
        "apt-get install graphviz",
        "brew install graphviz",
        "conda install",
        "winget install graphviz",
    ):
        assert word in bundle["text/plain"]
    assert g._repr_svg_() is None
    with pytest.raises(viz.GraphvizNotFoundError, match="brew install graphviz"):
        g.render(tmp_path / "graph.svg")
    assert isinstance(viz.GraphvizNotFoundError("x"), RuntimeError)
    g.save(tmp_path / "graph.dot")
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")
    steps = viz.backprop_steps(loss)
    html = steps._repr_html_()
    assert "winget" in html and "TanhBackward0" in html


def test_import_autograd_does_not_import_viz_or_matplotlib():
    code = "import sys, autograd; print('autograd.viz' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "False"]


# ---- backprop_steps -------------------------------------------------------------------------
def _fan_in_graph(seed=0):
    rng = np.random.default_rng(seed)
    x = A.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = A.tensor(rng.standard_normal(4), requires_grad=True)
    a = (x * w).tanh()
    b = a.sigmoid() * a + x  # a used twice, x used twice
    y = (b * b).mean()
    return y, x, w, a


def test_backprop_steps_follow_the_engine_order():
    loss, x, w, a = _fan_in_graph()
    expected = engine._topological_order([loss.grad_fn])
    ran = []
    for node in expected:
        if hasattr(node, "register_hook") and type(node).__name__ != "AccumulateGrad":
            node.register_hook(lambda gi, go, node=node: ran.append(node))
    steps = viz.backprop_steps(loss, params={"x": x, "w": w})
    assert steps.order == expected  # every node of this graph receives a gradient
    ops = [n for n in steps.order if type(n).__name__ != "AccumulateGrad"]
    assert ops == ran  # the engine's own post hooks fired in the same order
    assert [f.name for f in steps] == [n.name() for n in expected]
    assert not engine._step_observers


def test_backprop_steps_gives_the_same_grads_as_backward():
    loss, x, w, a = _fan_in_graph()
    steps = viz.backprop_steps(loss, params={"x": x, "w": w})
    loss2, x2, w2, a2 = _fan_in_graph()
    a2.retain_grad()
    loss2.backward()
    # bit-for-bit the gradients of a plain backward()
    assert np.array_equal(x.grad.numpy(), x2.grad.numpy())
    assert np.array_equal(w.grad.numpy(), w2.grad.numpy())
    # the accumulated values at the last frame equal .grad
    last = steps.leaf_grads()
    assert np.array_equal(last[id(x)], x.grad.numpy())
    assert np.array_equal(last[id(w)], w.grad.numpy())
    acc = steps.grads_at(-1)
    i = steps.data.index[a.grad_fn]
    np.testing.assert_array_equal(acc[i], a2.grad.numpy())


def test_backprop_steps_make_fan_in_explicit():
    loss, x, w, a = _fan_in_graph()
    steps = viz.backprop_steps(loss, params={"x": x, "w": w})
    i = steps.data.index[a.grad_fn]
    into_a = [c for f in steps for c in f.contributions if c.target == i]
    assert [(c.number, c.total) for c in into_a] == [(1, 2), (2, 2)]
    first, second = into_a
    assert first.before is None and first.after is first.value
    np.testing.assert_array_equal(second.after, second.before + second.value)
    # the frame of a's node starts from exactly that sum
    frame = next(f for f in steps if f.node_index == i)
    np.testing.assert_array_equal(frame.incoming[0], second.after)
    text = str(steps[0])
    assert text.startswith("step 1: MeanBackward0") and "starts the sum" in steps.text()
    assert "adds to the sum (2 of 2)" in steps.text()
    leaf = next(f for f in steps if f.leaf == "x")
    assert ".grad of x" in str(leaf)


def test_backprop_steps_frames_draw():
    loss, x, w, a = _fan_in_graph()
    steps = viz.backprop_steps(loss, params={"x": x, "w": w})
    k = next(f.index for f in steps if f.node_index == steps.data.index[a.grad_fn.next_edges[0][0]])
    g = steps.draw(k)
    assert f"backprop step {k + 1} of {len(steps)}" in g.source
    assert "penwidth=4" in g.source  # the current node
    assert "\u25b6 step" in g.source
    i = steps.data.index[a.grad_fn]
    first = next(f.index for f in steps for c in f.contributions if c.target == i)
    second = next(
        f.index for f in steps for c in f.contributions if c.target == i and c.number == 2
    )
    assert first < second
    # between the two, a waits for its second consumer's contribution
    assert "\u03a3 1 of 2 contributions so far" in steps.draw(first).source
    assert "= g" in steps.draw(first).source
    assert "+ g (2/2)" in steps.draw(second).source
    assert "\u03a3" not in labels(steps.draw(second).source)
    if HAVE_DOT:
        assert "<svg" in g.svg()
        html = steps._repr_html_(max_frames=2)
        assert html.count("<svg") == 2 and "more steps" in html
    assert "BackpropSteps" in repr(steps)


class _FakeWidget:
    def __init__(self, *children, **kw):
        self.children, self.__dict__["_obs"] = children, []
        self.__dict__.update(kw)

    def observe(self, fn, names):
        self._obs.append(fn)

    def __setattr__(self, name, value):
        old = self.__dict__.get(name)
        self.__dict__[name] = value
        for fn in self.__dict__.get("_obs", ()):
            fn({"name": name, "old": old, "new": value})


def test_backprop_steps_player_with_ipywidgets(monkeypatch):
    import types

    fake = types.ModuleType("ipywidgets")
    fake.IntSlider = fake.Play = fake.HTML = _FakeWidget
    fake.VBox = fake.HBox = lambda children: _FakeWidget(*children)
    fake.jslink = lambda a, b: None
    monkeypatch.setitem(sys.modules, "ipywidgets", fake)
    loss, x, w, _ = small_graph()
    steps = viz.backprop_steps(loss, params={"x": x, "w": w})
    box = steps.player()
    (_play, slider), view = box.children[0].children, box.children[1]
    assert slider.max == len(steps) - 1 and "step 1: SumBackward0" in view.value
    slider.value = 2
    assert "step 3: " + steps[2].name in view.value
    if HAVE_DOT:
        assert "<svg" in view.value


def test_backprop_steps_display_without_ipywidgets(monkeypatch, capsys):
    pytest.importorskip("IPython")
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import raises ImportError
    loss, *_ = small_graph()
    steps = viz.backprop_steps(loss)
    steps._ipython_display_()  # falls back to the static HTML sequence, never raises
    assert "HTML" in capsys.readouterr().out


def test_backprop_steps_after_backward_explains():
    loss, *_ = small_graph()
    loss.backward()
    with pytest.raises(RuntimeError, match="instead of loss.backward"):
        viz.backprop_steps(loss)
    assert not engine._step_observers


def test_backprop_steps_observer_removed_on_error():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="implicitly created"):
        viz.backprop_steps(x * 2)
    assert not engine._step_observers


# ---- grad_flow -------------------------------------------------------------------------------
def test_grad_flow_bars_are_mean_abs_grad():
    pytest.importorskip("matplotlib")
    loss, params = mlp_with_scopes(depth=3)
    loss.backward()
    vanish = A.tensor([1.0, 2.0], requires_grad=True)
    (vanish * 1e-9).sum().backward()
    unused = A.tensor([1.0], requires_grad=True)
    params = dict(params, tiny=vanish, unused=unused)
    fig = viz.grad_flow(params)
    from matplotlib.figure import Figure

    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    names = [t.get_text() for t in ax.get_xticklabels()]
    assert names == list(params)
    means = ax.containers[1]
    for bar, (name, t) in zip(means, params.items()):
        if t.grad is not None:
            expect = np.abs(t.grad.numpy().astype(np.float64)).mean()
            assert bar.get_height() == pytest.approx(expect, rel=1e-6), name
    notes = [t.get_text() for t in ax.texts]
    assert "vanishing" in notes and "no grad" in notes
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"
    per_layer = viz.grad_flow(params, per="layer")
    assert [t.get_text() for t in per_layer.axes[0].get_xticklabels()] == [
        "layers.0",
        "layers.1",
        "layers.2",
        "tiny",
        "unused",
    ]
    with pytest.raises(ValueError, match="per must be"):
        viz.grad_flow(params, per="block")


# ---- the real nn.Module ---------------------------------------------------------------------
def test_grouping_with_real_nn_module():
    import nn

    A.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    x = A.randn(6, 4)
    loss = model(x).pow(2).mean()
    loss.backward()
    src = viz.draw(loss, params=model).source
    assert 'label="0 (Linear)"' in src and 'label="2 (Linear)"' in src
    assert ">0.weight<" in src and ">2.bias<" in src
    block = src[src.index('label="0 (Linear)"') :]
    assert ">0.weight<" in block[: block.index("}")]
    # without params=, the scopes still name clusters and parameters
    src2 = viz.draw(loss).source
    assert 'label="0 (Linear)"' in src2 and ">0.weight<" in src2
    # the Tanh layer made one node: no frame of its own, the box names its module
    assert 'label="1 (Tanh)"' not in src and ">in 1 (Tanh)<" in src
    col = viz.draw(loss, params=model, collapse="Linear")
    assert "module, collapsed" in col.source and ">0.weight<" not in col.source


def test_values_of_live_outputs_that_no_node_saved():
    """An op's node keeps no reference to its output: draw finds the live tensors itself
    (``h`` below is saved by no node), and knows no value once the tensor is gone."""
    x = A.tensor([1.0, 2.0, 4.0], requires_grad=True)
    h = x + 1.0
    loss = (h + 2.0).sum()
    hv = h.detach().numpy().astype(np.float64)
    stats = f"value mean {hv.mean():.3g} std {hv.std():.3g}"
    assert h.grad_fn._out_ref is None
    assert stats in labels(viz.draw(loss, params={"x": x}).source)
    del h
    gc.collect()  # (the first picture's objects may hold h in a reference cycle)
    assert stats not in labels(viz.draw(loss, params={"x": x}).source)


def test_live_output_scan_skips_a_tensor_whose_fields_are_not_set_yet():
    """draw looks for live outputs among all tracked objects; a Tensor that another
    thread's Op.apply has made but not filled in yet (no ``grad_fn`` field) is passed
    over instead of failing the picture."""
    from autograd.tensor import Tensor

    half = object.__new__(Tensor)  # (Op.apply between making the Tensor and its fields)
    x = A.tensor([1.0, 2.0, 4.0], requires_grad=True)
    h = x + 1.0
    loss = (h * 2.0).sum()
    hv = h.detach().numpy().astype(np.float64)
    stats = f"value mean {hv.mean():.3g} std {hv.std():.3g}"
    assert stats in labels(viz.draw(loss, params={"x": x}).source)
    del half
