"""autograd.compile's plan seen from outside: fused elementwise kernels (docs/compile.md
section 4), the buffers the plan keeps, and ``autograd.viz.draw`` of a compiled plan."""

import re

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
import optim
from autograd import viz
from autograd.viz.dot import count_nodes
from test_compile import _mlp, _train_step


# ---- viz.draw of a compiled plan -------------------------------------------------------------
def test_draw_shows_one_box_per_step_of_the_plan():
    model = _mlp()
    cf = autograd.compile(_train_step(model, optim.SGD(model.parameters(), lr=0.1)))
    with pytest.raises(ValueError, match="call it first"):
        viz.draw(cf)
    x, y = autograd.randn(5, 4, dtype=autograd.float64), autograd.tensor([0, 1, 2, 0, 1])
    cf(x, y)
    cf(x, y)
    g = viz.draw(cf, title="step")
    src = g.source
    assert src.startswith("digraph plan") and g.num_nodes == count_nodes(src)
    assert g.num_nodes == len(cf.last_plan.boxes)
    labels = re.findall(r"<B>([^<]+)</B>", src)
    # every forward call and every VJP call of plan.source has its box
    # (products of two matrices are written as gemm calls: plan.py _mm, plan_backward _mm_vjp)
    assert labels.count("Mm") == len(re.findall(r"^ +v\d+ = gemm\(", cf.plan, re.M)) == 2
    assert labels.count("Mm VJP") == cf.plan.count("ma, mb = c") == 2
    assert "SGD.step" in labels and "Optimizer.zero_grad" in labels
    assert "input 0" in labels and labels.count("backward()") == 1
    assert len(re.findall(r"^\s*n\d+ -> n\d+", src, re.M)) >= g.num_nodes - 3
    assert "style=dashed" in src  # values a forward step saved for its VJP


def test_draw_of_a_compiled_module():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh()).to(autograd.float64)
    model.compile()
    model(autograd.randn(2, 3, dtype=autograd.float64))
    g = viz.draw(model)
    assert "Tanh" in re.findall(r"<B>([^<]+)</B>", g.source)


# ---- fusion: the kernels exist, and results equal eager mode --------------------------------
def _kernels(cf):
    return cf.last_plan.kernel_names


def _same_training(
    make_model, make_input, steps=3, dtype=autograd.float64, opt="Adam", exact=True, backend="numba"
):
    """``steps`` training steps eager and compiled on twin models (on the numba backend,
    where fusion happens, whatever the suite's backend): losses, gradients and parameters
    equal (bit for bit when ``exact``, else within 1e-6 relative)."""
    with autograd.backend(backend):
        return _compare_training(make_model, make_input, steps, dtype, opt, exact)


def _compare_training(make_model, make_input, steps, dtype, opt, exact):
    runs = []
    for compiled in (False, True):
        autograd.manual_seed(0)
        model = make_model().to(dtype)
        o = getattr(optim, opt)(model.parameters(), lr=1e-2)

        def step(x, y, model=model, o=o):
            o.zero_grad()
            out = model(x)
            loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
            loss.backward()
            o.step()
            return loss

        fn = autograd.compile(step) if compiled else step
        rng = np.random.default_rng(0)
        losses = [fn(*make_input(rng, dtype)).item() for _ in range(steps)]
        runs.append((losses, model, fn))
    (l0, m0, _), (l1, m1, cf) = runs
    assert cf.last_plan is not None
    check = (
        np.testing.assert_array_equal
        if exact
        else lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    )
    check(l1, l0)
    for a, b in zip(m0.parameters(), m1.parameters()):
        check(b._data, a._data)
        check(b.grad._data, a.grad._data)
    return cf


def _floats(shape):
    def make(rng, dtype):
        x = autograd.tensor(rng.standard_normal(shape)).to(dtype)
        return x, autograd.tensor(rng.integers(0, 10, shape[0]))

    return make


def _tokens(shape, vocab, per_position=True):
    def make(rng, dtype):
        x = autograd.tensor(rng.integers(0, vocab, shape))
        return x, autograd.tensor(rng.integers(0, vocab, shape if per_position else shape[0]))

    return make


class _ResidualMLP(nn.Module):  # the MNIST-1D MLP's shape: relu(l1(x)), h + relu(l2(h))
    def __init__(self, width=16):
        super().__init__()
        self.l1, self.l2, self.l3 = (
            nn.Linear(12, width),
            nn.Linear(width, width),
            nn.Linear(width, 10),
        )

    def forward(self, x):
        h = self.l1(x).relu()
        h = h + self.l2(h).relu()
        return self.l3(h)


class _CharMLP(nn.Module):  # embedding -> tanh hidden layer -> logits
    def __init__(self, vocab=11):
        super().__init__()
        self.emb, self.hidden, self.out = (
            nn.Embedding(vocab, 4),
            nn.Linear(12, 16),
            nn.Linear(16, vocab),
        )

    def forward(self, idx):
        e = self.emb(idx)
        return self.out(self.hidden(e.view(e.shape[0], -1)).tanh())


class _Block(nn.Module):  # a pre-norm transformer block with causal attention and GELU
    def __init__(self, vocab=11, width=8, context=6):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, width), nn.Embedding(context, width)
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.mlp = nn.Sequential(
            nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)
        )
        self.head = nn.Linear(width, vocab)
        self.register_buffer("tril", autograd.tril(autograd.ones(context, context)))

    def forward(self, idx):
        B, T = idx.shape
        x = self.tok(idx) + self.pos(autograd.arange(T))
        q, k, v = self.qkv(self.ln1(x)).split(x.shape[-1], dim=2)
        att = (q @ k.transpose(-2, -1)) * 0.5
        att = att.masked_fill(self.tril[:T, :T] == 0, float("-inf")).softmax(-1)
        x = x + self.proj(att @ v)
        x = x + self.mlp(self.ln2(x))
        return self.head(x)


class _Conv(nn.Module):  # the MNIST-1D CNN's shape: strided conv1d + relu, then linear
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv1d(1, 4, 5, stride=2, padding=1), nn.Conv1d(4, 4, 3, stride=2)
        self.lin = nn.Linear(4 * 2, 10)

    def forward(self, x):
        h = self.c2(self.c1(x.view(-1, 1, x.shape[-1])).relu()).relu()
        return self.lin(h.view(h.shape[0], -1))


class _GRU(nn.Module):
    def __init__(self, vocab=11):
        super().__init__()
        self.emb, self.gru = nn.Embedding(vocab, 4), nn.GRU(4, 8, batch_first=True)
        self.out = nn.Linear(8, vocab)

    def forward(self, idx):
        return self.out(self.gru(self.emb(idx))[0])


def test_linear_relu_runs_are_fused_and_equal_eager_bit_for_bit():
    cf = _same_training(_ResidualMLP, _floats((5, 12)))
    names = _kernels(cf)
    assert "Expand+Add+Relu" in names  # bias add + ReLU after a matmul: one kernel
    assert any(n.startswith("ReluVJP+") for n in names)  # and their VJPs
    assert "# Expand+Add+Relu" in cf.plan and "BUFS" in cf.plan  # (small: kept buffers)


def test_fused_float32_steps_equal_eager():
    cf = _same_training(_ResidualMLP, _floats((5, 12)), dtype=autograd.float32, exact=False)
    assert "Expand+Add+Relu" in _kernels(cf)


@pytest.mark.parametrize(
    "make_model, make_input, opt",
    [
        (_CharMLP, _tokens((6, 3), 11, per_position=False), "SGD"),
        (_Block, _tokens((2, 6), 11), "AdamW"),
        (_Conv, _floats((3, 12)), "Adam"),
        (_GRU, _tokens((2, 5), 11), "Adam"),
    ],
    ids=["char-mlp", "transformer", "cnn", "gru"],
)
def test_small_models_with_fusion_equal_eager_bit_for_bit(make_model, make_input, opt):
    cf = _same_training(make_model, make_input, opt=opt)
    if make_model is not _GRU:  # (its gates are one fused op already)
        assert _kernels(cf)


def test_fusion_off_replays_each_step_with_the_same_results(monkeypatch):
    from autograd.compiler import fusion

    monkeypatch.setattr(fusion, "enabled", False)
    cf = _same_training(_ResidualMLP, _floats((5, 12)), steps=2)
    assert _kernels(cf) == [] and "BUFS" not in cf.plan


def test_the_numpy_backend_does_not_fuse():
    cf = _same_training(_ResidualMLP, _floats((5, 12)), steps=2, backend="numpy")
    assert _kernels(cf) == []


def test_draw_puts_each_fused_kernel_in_a_cluster():
    cf = _same_training(_ResidualMLP, _floats((5, 12)), steps=2)
    src = viz.draw(cf).source
    clusters = re.findall(r"subgraph cluster_fused(\d+) \{\n\s*label=\"fused: ([^\"]+)\"", src)
    assert {name for _, name in clusters} >= {"Expand+Add+Relu"}
    assert len(clusters) == len(set(_kernels(cf))) or len(clusters) == len(_kernels(cf))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_table_entry_computes_what_its_op_computes(dtype):
    """Each op of fusion's table, forward and VJP, in fused runs, on values with zeros, -0.0,
    infinities and NaN: results and gradients equal eager mode's bit for bit (NaN as NaN)."""
    from autograd.compiler import fusion

    mask = autograd.tensor(np.array([True, False, False, True, False]))  # (broadcast on rows)

    def f(x, y, w):
        h = -(x * w + y) - y  # Expand (w), Mul, Add, Neg, Sub
        h = (h.relu() * 2.0).masked_fill(mask, 0.5)  # Relu, Mul by a 0-d constant, Where
        z = h.tanh().sigmoid() * x  # (tanh, sigmoid: their VJPs only)
        loss = z.sum()
        loss.backward()
        return loss.detach(), z.detach()

    rng = np.random.default_rng(3)
    base = rng.standard_normal((4, 5)).astype(dtype)
    base[0, :4] = [0.0, -0.0, np.inf, np.nan]
    results, cf = [], autograd.compile(f)
    for fn in (f, cf, cf):  # (eager, the traced call, a replay; on the numba backend)
        x = autograd.tensor(base.copy(), requires_grad=True)
        y = autograd.tensor(base[::-1].copy(), requires_grad=True)
        w = autograd.tensor(base[1].copy(), requires_grad=True)
        with np.errstate(all="ignore"), autograd.backend("numba"):
            out = fn(x, y, w)
        results.append([o._data for o in out] + [t.grad._data for t in (x, y, w)])
    for got in results[1:]:
        for a, b in zip(results[0], got):
            np.testing.assert_array_equal(b, a)
            signed = ~np.isnan(a)  # (-0.0 stays -0.0; a NaN's sign bit means nothing)
            assert np.array_equal(np.signbit(a[signed]), np.signbit(b[signed]))
    forward, backward = cf.last_plan.kernel_names  # (w's Expand is saved by Mul: a step)
    assert set(forward.split("+")) == {op.__name__ for op in fusion.FORWARD}
    assert set(backward.split("+")) == {f"{n}VJP" for n in fusion.VJP_NAMES}


def test_a_gelu_written_out_is_fused_around_its_tanh():
    """The tanh form of GELU written with operators (as tutorials do): the bias add and the
    products and sums before the tanh are one kernel, the ones after it another, and its
    whole backward one more; results equal eager mode's bit for bit. (nn.GELU is one op with
    a kernel of its own.)"""
    import math

    def gelu(x):
        return 0.5 * x * (1.0 + (math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)).tanh())

    def step(x):
        lin.zero_grad()
        loss = gelu(lin(x)).sum()
        loss.backward()
        return loss

    with autograd.backend("numba"):
        autograd.manual_seed(0)
        lin = nn.Linear(6, 6).to(autograd.float64)
        x = autograd.randn(4, 6, dtype=autograd.float64)
        cf = autograd.compile(step)
        results = []
        for fn in (step, cf, cf):  # (eager, traced, replayed)
            loss = fn(x).item()
            results.append([loss, lin.weight.grad._data.copy(), lin.bias.grad._data.copy()])
    for got in results[1:]:
        for a, b in zip(results[0], got):
            np.testing.assert_array_equal(b, a)
    forward_before, forward_after, backward = cf.last_plan.kernel_names
    assert forward_before == "Expand+Add+Mul+Mul+Mul+Mul+Add+Mul"  # bias add, x + c x^3 ...
    assert forward_after == "Add+Mul"  # 1 + tanh(...), 0.5 x * (...)
    assert backward.count("VJP") == 10 and "TanhVJP" in backward


def _same_bits_eager_traced_replayed(f, base_x, base_w, backend):
    """``f(x, w)`` (a step that calls ``backward()``) run eagerly, traced and replayed on
    copies of ``base_x``/``base_w``: result and both gradients equal bit for bit; returns the
    compiled function."""
    results, cf = [], autograd.compile(f)
    for fn in (f, cf, cf):  # (eager, traced, replayed)
        x = autograd.tensor(base_x.copy(), requires_grad=True)
        w = autograd.tensor(base_w.copy(), requires_grad=True)
        with autograd.backend(backend):
            out = fn(x, w)
        results.append([out._data, x.grad._data, w.grad._data])
    for got in results[1:]:
        for a, b in zip(results[0], got):
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    return cf


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_the_slices_of_one_value_add_their_gradients_into_one_array(dtype, backend):
    """split / x[a:b]: when a value's gradient comes from slices of it only, their VJPs add
    into one zeros array (docs/compile.md, section 2) instead of each making zeros of the
    whole shape for the engine to sum: results equal eager mode's bit for bit, signs of
    zeros included, with overlapping slices, gradients of -0.0 and a gradient that arrives
    for some slices only. A value also read whole keeps the VJP calls and their sum."""

    def sliced(x, w):
        h = x * w
        a, b, c = h.split(2, dim=1)  # (Narrow x3) ...
        y = (a * b.tanh() + c).sum() + (h[:, 1:4] * -0.0).sum()  # ... and an overlap
        y.backward()
        return y.detach()

    def also_whole(x, w):
        h = x * w
        a, b = h.split(3, dim=1)
        y = (a * b).sum() + h.sum()
        y.backward()
        return y.detach()

    base = np.random.default_rng(4).standard_normal((3, 6)).astype(dtype)
    base[0, :3] = [0.0, -0.0, 2.0]
    for f, fused in ((sliced, True), (also_whole, False)):
        cf = _same_bits_eager_traced_replayed(f, base, base[::-1], backend)
        assert ("] += g" in cf.plan) is fused
        assert cf.plan.count("Narrow_backward(") == (0 if fused else 2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_reshaped_slices_add_their_gradients_through_a_view(dtype, backend):
    """Attention's heads: ``split`` then ``view(B, T, H, D).transpose(1, 2)``. The reshape's
    VJP is skipped and each head gradient is added into a view of its part of the
    projection's gradient (``add_at``; a kernel on the numba backend), bit for bit eager
    mode's values; a slice that cannot be viewed in the reshape's shape (here a column
    block flattened) takes ``add_at``'s copying path, with the same values."""

    def heads(x, w):
        B, T, C = x.shape
        q, k, v = (x @ w).split(C, dim=2)
        q, k, v = (t.view(B, T, 2, C // 2).transpose(1, 2) for t in (q, k, v))
        y = ((q @ k.transpose(-2, -1)).tanh() @ v).sum() + (q * -0.0).sum()
        y.backward()
        return y.detach()

    def flattened(x, w):
        h = x[0] @ w  # (T, 3C)
        a, b = h[:, :2], h[:, 2:4]  # column blocks: not viewable as (2T,)
        y = (a.reshape(-1) * b.reshape(-1).tanh()).sum()
        y.backward()
        return y.detach()

    rng = np.random.default_rng(5)
    base_x = rng.standard_normal((2, 3, 4)).astype(dtype)
    base_w = rng.standard_normal((4, 12)).astype(dtype)
    for f in (heads, flattened):
        cf = _same_bits_eager_traced_replayed(f, base_x, base_w, backend)
        assert cf.plan.count("add_at(") == (3 if f is heads else 2)
        # (no copy of a head's gradient in the slice's shape, but for the dtype-mixing branch)
        assert not re.search(r"g\d+ = g\d+\.reshape\(\(2, 3, 4\)\)", cf.plan)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_a_permuted_product_copied_by_contiguous_is_written_in_place(dtype, backend):
    """Attention's ``(att @ v).transpose(1, 2).contiguous()``: the plan has ``np.matmul``
    write the product into the copy's array through the permutation (no product array, no
    ``Clone`` call), with eager mode's values and gradients bit for bit; a product that is
    also read elsewhere keeps the three steps."""

    def merged(x, w):
        B, T, C = x.shape
        h = (x @ w).view(B, T, 2, C // 2).transpose(1, 2)  # (B, H, T, D)
        y = (h @ h.transpose(-2, -1)).tanh() @ h
        out = y.transpose(1, 2).contiguous().view(B, T, C)
        loss = (out * x).sum()
        loss.backward()
        return loss.detach()

    def also_read(x, w):
        B, T, C = x.shape
        h = (x @ w).view(B, T, 2, C // 2).transpose(1, 2)
        y = h @ h.transpose(-2, -1)
        loss = y.transpose(1, 2).contiguous().sum() + y.sum()
        loss.backward()
        return loss.detach()

    def last_axis_moved(x, w):  # (rows of the product would not be contiguous in the copy)
        h = x @ w
        loss = ((h @ h.transpose(-2, -1)).transpose(-2, -1).contiguous() * 1.5).sum()
        loss.backward()
        return loss.detach()

    rng = np.random.default_rng(6)
    base_x = rng.standard_normal((2, 3, 4)).astype(dtype)
    base_w = rng.standard_normal((4, 4)).astype(dtype)
    for f, in_place in ((merged, True), (also_read, False), (last_axis_moved, False)):
        cf = _same_bits_eager_traced_replayed(f, base_x, base_w, backend)
        assert ("Clone_forward(" in cf.plan) is not in_place
        assert ("matmul(" in cf.plan and "out=" in cf.plan) is in_place


def test_slice_gradients_of_two_dtypes_take_the_engines_promoting_sum(monkeypatch):
    """If the slices' gradients came in two dtypes (here a VJP made to return float32 for a
    float64 value, first), the plan adds as the engine does (promoting to float64) instead of
    rounding the second one into the first one's array."""
    from autograd.ops.arithmetic import Mul

    plain = Mul.backward

    def narrow(ctx, g, xp):  # float32 gradients out of the product of the (3, 3) slice
        r = plain(ctx, g, xp)
        return tuple(v.astype(np.float32) if v is not None and v.shape == (3, 3) else v for v in r)

    monkeypatch.setattr(Mul, "backward", staticmethod(narrow))

    def f(x):
        a, b = (x * 1.5).split([2, 3], dim=1)
        y = (a * a).sum() + (b * b).sum()  # (b's gradient arrives first)
        y.backward()
        return y.detach()

    results, cf = [], autograd.compile(f)
    for fn in (f, cf, cf):
        x = autograd.tensor(np.linspace(-1, 1, 15).reshape(3, 5) / 3, requires_grad=True)
        fn(x)
        results.append(x.grad._data)
    assert all(r.dtype == np.float64 and r.tobytes() == results[0].tobytes() for r in results)
    assert "] += g" in cf.plan


def test_generated_kernels_are_files_in_the_cache_named_by_their_source(tmp_path, monkeypatch):
    import hashlib

    from autograd.compiler import fusion

    monkeypatch.setenv("AUTOGRAD_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(fusion, "_loaded", {})
    body = ["t0 = (x0 + x1)", "t1 = (zero if t0 < zero else t0)"]
    source = fusion.kernel_source(2, [(3, 4), (4,)], (3, 4), body, ["t1"])
    assert "x1 = a1[i1,]" in source  # (the (4,) input is read with a broadcasting subscript)
    kernel = fusion.load_kernel(source)
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    folder = tmp_path / "compiled" / autograd.__version__
    assert [p.name for p in folder.glob("*.py")] == [f"fused_{digest}.py"]
    assert (folder / f"fused_{digest}.py").read_text() == source
    assert not list(folder.glob("*.tmp"))  # (written under a temporary name, then renamed)
    assert fusion.load_kernel(source) is kernel  # (once per process)
    assert "cache=True" in source


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_gradient_leaving_a_fused_run_unchanged_is_handed_on_not_copied(dtype):
    """An Add's VJP sends its gradient on unchanged: in a fused backward run that also
    computes (a ReLU's VJP), that output is the arriving array handed on (as the engine does),
    not a copy written by the kernel; a run of Add VJPs only is left to the ops' own VJPs.
    Results equal eager mode's bit for bit, and with fusion off."""

    def f(x, w1, w2, w3):
        u = x @ w3
        z = u + (x @ w1).relu()  # Add of a matmul (handed on) and a ReLU (in the run)
        loss = (z @ w2).sum()
        loss.backward()
        return loss.detach()

    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(s).astype(dtype) for s in ((4, 3), (3, 5), (5, 2), (3, 5))]
    arrays[0][0, :2] = [0.0, -0.0]
    results, cf = [], autograd.compile(f)
    for fn in (f, cf, cf):  # (eager, traced, replayed)
        ts = [autograd.tensor(a.copy(), requires_grad=True) for a in arrays]
        with autograd.backend("numba"):
            out = fn(*ts)
        results.append([out._data] + [t.grad._data for t in ts])
    for got in results[1:]:
        for a, b in zip(results[0], got):
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    (kernel,) = [n for n in _kernels(cf) if "VJP" in n]
    assert kernel == "AddVJP+ReluVJP"
    call = next(line for line in cf.plan.splitlines() if "# AddVJP+ReluVJP" in line)
    assert call.count(", o") == 1  # one computed output: the ReLU's gradient


def test_float32_transformer_block_equals_eager_bit_for_bit():
    """float32, where GELU's kernel saves dy/dx for its backward (and takes the bias add
    before it: steps.py ``bias_gelu``), and attention's scaling, masked_fill and softmax
    are one kernel (the mask, made from a buffer between them, runs before it) and so are
    their VJPs (steps.py ``masked_softmax``): compiled training steps equal eager ones bit
    for bit."""
    cf = _same_training(_Block, _tokens((2, 6), 11), opt="AdamW", dtype=autograd.float32)
    assert "Mul+Where+Softmax" in _kernels(cf)
    assert "SoftmaxVJP+WhereVJP+MulVJP" in _kernels(cf)
    assert "Softmax_forward(" not in cf.plan
    assert "Expand+Add+Gelu" in _kernels(cf)  # (the MLP's bias add and GELU: one kernel)
    assert "Gelu_forward(" not in cf.plan
    assert "GeluVJP+AddVJP+ExpandVJP" in _kernels(cf)  # (and their VJPs with the bias sum)


@pytest.mark.parametrize("transposed", [False, True])
def test_gelu_bias_add_and_bias_sum_vjps_are_one_call_with_eager_bits(transposed, monkeypatch):
    """float32 ``gelu(linear(x, w, b))``: the GELU's VJP, the bias add's and the bias's sum
    are one kernel call (steps.py ``gelu_bias_grad``) with eager mode's values bit for bit;
    a gradient that arrives as a transposed view takes the three nodes' own VJPs (the
    ``else:`` branch of the plan), with the same values."""
    from autograd.compiler import plan_backward

    calls = []
    fused = plan_backward.gelu_bias_grad
    monkeypatch.setattr(plan_backward, "gelu_bias_grad", lambda *a: calls.append(1) or fused(*a))
    rng = np.random.default_rng(7)
    base = [rng.standard_normal(s).astype(np.float32) for s in ((6, 5), (12, 5), (12,), (12, 6))]

    def f(x, w, b, c):
        h = F.gelu(F.linear(x, w, b))  # (6, 12)
        y = (h.t() * c).sum() if transposed else (h * c).sum()
        y.backward()
        return y.detach()

    results, cf = [], autograd.compile(f)
    for fn in (f, cf, cf):  # (eager, traced, replayed)
        ts = [autograd.tensor(a.copy(), requires_grad=True) for a in base[:3]]
        with autograd.backend("numba"):
            out = fn(*ts, autograd.tensor(base[3] if transposed else base[3].T.copy()))
        results.append([out._data] + [t.grad._data for t in ts])
    for got in results[1:]:
        for a, b in zip(results[0], got):
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert "GeluVJP+AddVJP+ExpandVJP" in _kernels(cf)
    assert len(calls) == (0 if transposed else 1)  # (the replay's call)


@pytest.mark.parametrize(
    "cond_shape, shape",
    [((2, 1, 1, 5), (2, 3, 4, 5)), ((4, 1), (4, 5))],
    ids=["padding-mask", "column"],
)
def test_where_conditions_that_broadcast_with_size_one_dims_equal_eager(cond_shape, shape):
    """A Where's condition joins a fused run when it broadcasts to the result with size-1
    dims too (a padding mask (B, 1, 1, T), not only a causal (T, T) one): masked_fill and
    where, forward and VJPs fused, equal eager mode bit for bit, and a new mask of the same
    shape on the next call is read (not the traced one)."""
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(shape) for _ in range(3)]
    masks = [autograd.tensor(rng.random(cond_shape) < 0.4) for _ in range(3)]

    def f(x, y, w, mask):
        h = (x * w + y).masked_fill(mask, -1.5)
        h = autograd.where(mask, h.relu() * x, y * 3.0)
        loss = h.sum()
        loss.backward()
        return loss.detach()

    results, cf = [], autograd.compile(f)
    for fn in (f, cf):
        got = []
        for mask in masks:  # (traced, then replayed with other masks)
            ts = [autograd.tensor(a, requires_grad=True) for a in arrays]
            with autograd.backend("numba"):
                got += [fn(*ts, mask)._data] + [t.grad._data for t in ts]
        results.append(got)
    for a, b in zip(*results):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    kernels = _kernels(cf)
    assert any("Where" in k and "VJP" not in k for k in kernels)
    assert any("WhereVJP" in k for k in kernels)
