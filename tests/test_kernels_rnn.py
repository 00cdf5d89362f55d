"""Recurrent layers as fused primitives (autograd/ops/rnn.py, autograd/kernels/rnn.py).

The registry already checks every layer/cell function (forward vs NumPy, gradcheck,
gradgradcheck, create_graph vs plain gradients, float32 vs float64, numba vs numpy, torch).
Here: each step kernel against the NumPy reference step (odd sizes, saturated gates, inf
and nan), the graph shape (one node per layer and direction), ``lstm_cell`` (not in the
registry: its state is a tuple) against torch, second derivatives of nn.GRU/LSTM/RNN
against torch, in-place changes of saved weights, and the error messages.
"""

import numpy as np
import pytest

import autograd
import nn
from autograd.errors import DTypeError, GraphError, ShapeError
from autograd.ops import rnn as R

CELLS = ["rnn_tanh", "rnn_relu", "gru", "lstm"]
TOL = {np.float64: dict(rtol=1e-13, atol=1e-14), np.float32: dict(rtol=3e-6, atol=3e-6)}


def _step_buffers(cell, dtype, rng, N=5, H=7, scale=3.0):
    """Random inputs of one forward and one backward step, and zeroed outputs."""
    c = R._CELLS[cell]
    G = c.gates * H

    def r(*shape):
        return (rng.standard_normal(shape) * scale).astype(dtype)

    return dict(
        gi=r(N, G),
        gh=r(N, G),
        b=r(G),
        h=r(N, H),
        c=r(N, H) if c.lstm else None,
        dy=r(N, H),
        dcy=r(N, H) if c.lstm else None,
        dmm=r(N, H),
        carry=r(N, H),
    )


def _run_steps(cell, fwd, bwd, a):
    """One forward then one backward step through the functions (kernel or NumPy)."""
    c = R._CELLS[cell]
    N, H = a["h"].shape
    h_out, c_out = (
        np.zeros((N, H), a["h"].dtype),
        (np.zeros((N, H), a["h"].dtype) if c.lstm else None),
    )
    ws = np.zeros((N, c.saved * H), a["h"].dtype)
    fwd(a["gi"], a["gh"], a["b"], a["h"], a["c"], h_out, c_out, ws)
    dgi = np.zeros_like(a["gi"])
    dgh = np.zeros_like(a["gi"]) if cell == "gru" else dgi
    carry = a["carry"].copy()
    bwd(a["dy"], a["dcy"], a["dmm"], carry, a["h"], a["c"], h_out, ws, dgi, dgh)
    return [x for x in (h_out, c_out, ws, dgi, dgh, carry) if x is not None]


def _kernel_steps(cell):
    pytest.importorskip("numba")
    from autograd.kernels import rnn as K

    return R._CELLS[cell].kernel_steps(K)


def _numpy_steps(cell):
    c = R._CELLS[cell]
    return c.forward_numpy, c.backward_numpy


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cell", CELLS)
def test_step_kernels_match_numpy_reference(cell, dtype):
    """Odd sizes (vector loops with tails) and |pre-activations| up to ~20: saturated gates."""
    a = _step_buffers(cell, dtype, np.random.default_rng(1))
    with np.errstate(all="ignore"):
        ref = _run_steps(cell, *_numpy_steps(cell), a)
    got = _run_steps(cell, *_kernel_steps(cell), a)
    for k, (x, y) in enumerate(zip(got, ref)):
        assert x.dtype == np.dtype(dtype)
        np.testing.assert_allclose(x, y, err_msg=f"{cell} buffer {k}", **TOL[dtype])


@pytest.mark.parametrize("cell", CELLS)
def test_step_kernels_inf_and_nan_like_numpy(cell):
    a = _step_buffers(cell, np.float64, np.random.default_rng(2), N=3, H=4)
    a["gi"][0, :3] = [np.inf, -np.inf, np.nan]
    a["gh"][1, 1:3] = [-np.inf, np.inf]
    a["h"][2, 0] = np.nan
    with np.errstate(all="ignore"):
        ref = _run_steps(cell, *_numpy_steps(cell), a)
        got = _run_steps(cell, *_kernel_steps(cell), a)
    for x, y in zip(got, ref):
        np.testing.assert_allclose(x, y, rtol=1e-13, atol=1e-14, equal_nan=True)


def _node_names(t):
    seen, names, stack = set(), [], [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or node.name() == "AccumulateGrad":
            continue
        seen.add(id(node))
        names.append(node.name())
        stack += [n for n, _ in node.next_functions]
    return names


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_one_graph_node_per_layer_and_direction(kind):
    """A 2-layer bidirectional network over 50 steps records one primitive per layer and
    direction, plus a few views and the cat of the two directions: not hundreds of nodes."""
    net = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True)
    out, _ = net(autograd.randn(50, 2, 3))
    names = _node_names(out)
    prim = {"RNN": "RnnTanhBackward0", "GRU": "GruBackward0", "LSTM": "LstmBackward0"}[kind]
    assert names.count(prim) == 4
    assert len(names) <= 12, names


def _torch_and_ours(kind, torch, dtype=np.float64, **kw):
    theirs = getattr(torch.nn, kind)(3, 4, **kw).double()
    ours = getattr(nn, kind)(3, 4, **kw).double()
    ours.load_state_dict(
        {k: autograd.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    )
    return ours, theirs


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_double_backward_matches_torch(kind, rng):
    """d/dparams of |d loss / d params|^2 through the whole sequence, against torch."""
    torch = pytest.importorskip("torch")
    ours, theirs = _torch_and_ours(kind, torch, num_layers=2, bidirectional=True)
    x = rng.standard_normal((4, 2, 3))
    results = []
    for lib, model in ((autograd, ours), (torch, theirs)):
        grad = torch.autograd.grad if lib is torch else autograd.grad
        xt = lib.tensor(x, requires_grad=True)
        out, _ = model(xt)
        params = list(model.parameters())
        gs = grad((out * out).sum(), [xt] + params, create_graph=True)
        penalty = sum((g * g).sum() for g in gs)
        second = grad(penalty, [xt] + params)
        results.append([g.detach().numpy() for g in list(gs) + list(second)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


def test_lstm_cell_matches_torch(rng):
    torch = pytest.importorskip("torch")
    N, I, H = 3, 4, 5
    arrays = [
        rng.standard_normal(s)
        for s in ((N, I), (N, H), (N, H), (4 * H, I), (4 * H, H), (4 * H,), (4 * H,))
    ]
    res = []
    for lib in (autograd, torch):
        x, h, c, w_ih, w_hh, b_ih, b_hh = ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        h1, c1 = lib.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)
        loss = (h1 * lib.tensor(arrays[1])).sum() + (c1 * c1).sum()
        grads = (torch.autograd.grad if lib is torch else autograd.grad)(loss, ts)
        res.append([h1.detach().numpy(), c1.detach().numpy()] + [g.numpy() for g in grads])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_backends_agree_on_a_training_step(rng):
    """nn.LSTM + nn.GRU stacked, float32: the same loss and gradients on both backends."""
    x = rng.standard_normal((6, 3, 4)).astype(np.float32)
    res = {}
    for backend in ("numpy", "numba"):
        autograd.manual_seed(0)
        lstm, gru = nn.LSTM(4, 5, batch_first=True), nn.GRU(5, 3, num_layers=2)
        with autograd.backend(backend):
            h, _ = lstm(autograd.tensor(x))
            out, h_n = gru(h)
            loss = (out**2).mean() + h_n.sum()
            loss.backward()
        res[backend] = [loss.item()] + [
            p.grad.numpy() for p in (*lstm.parameters(), *gru.parameters())
        ]
    for a, b in zip(res["numpy"], res["numba"]):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def test_weights_changed_in_place_before_backward_raise():
    gru = nn.GRU(3, 4)
    out, _ = gru(autograd.randn(5, 2, 3))
    with autograd.no_grad():
        gru.weight_hh_l0.add_(1.0)
    with pytest.raises(GraphError, match="modified by an inplace operation"):
        out.sum().backward()


def test_errors_name_the_problem():
    x, h = autograd.randn(2, 4), autograd.zeros(2, 5)
    w_ih, w_hh = autograd.randn(15, 4), autograd.randn(15, 5)
    with pytest.raises(ShapeError, match="input has inconsistent input_size: got 3 expected 4"):
        autograd.gru_cell(autograd.randn(2, 3), h, w_ih, w_hh)
    with pytest.raises(ShapeError, match="hidden0 has inconsistent hidden_size: got 6, expected 5"):
        autograd.gru_cell(x, autograd.zeros(2, 6), w_ih, autograd.randn(15, 5))
    with pytest.raises(ShapeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
        autograd.gru_cell(x, autograd.zeros(3, 5), w_ih, w_hh)
    with pytest.raises(
        ShapeError, match=r"weight_ih first dim must be 3 \* hidden_size = 15, but got 14"
    ):
        autograd.gru_cell(x, h, autograd.randn(14, 4), w_hh)
    with pytest.raises(DTypeError, match="same floating point dtype"):
        autograd.gru_cell(x.double(), h, w_ih, w_hh)
    with pytest.raises(ShapeError, match="expected input to be 3-D"):
        autograd.gru_layer(x, h, w_ih, w_hh)
    with pytest.raises(ShapeError, match="Expected sequence length to be larger than 0 in RNN"):
        autograd.gru_layer(autograd.randn(0, 2, 4), h, w_ih, w_hh)
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h, c\)"):
        autograd.lstm_cell(x, h, autograd.randn(20, 4), autograd.randn(20, 5))
