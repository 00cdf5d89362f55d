"""nn.RNN / LSTM / GRU and their cells.

Against PyTorch (skipped without torch): same parameter names in the same state_dict order
and shapes; with torch's parameters copied in by key, same outputs, final states and
gradients (input, initial states, every parameter) in float64 and float32, across
num_layers, batch_first, bidirectional, bias, initial states and unbatched input.
Without torch: float64 gradchecks, default-init bounds, repr, errors.
"""

import math

import numpy as np
import pytest

import autograd
import nn

from torch_compare import TOL, assert_reprs_match_torch, check_module_grads, compare_with_torch  # noqa: F401


# ---- full sequence layers vs torch ----------------------------------------------------

CONFIGS = [
    dict(),
    dict(num_layers=2),
    dict(batch_first=True),
    dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(bias=False),
    dict(num_layers=3, dropout=0.5),  # dropout is compared in eval mode (see below)
]
KINDS = ["RNN", "LSTM", "GRU", "RNN_relu"]


def _make(lib, kind, *args, **kw):
    if kind == "RNN_relu":
        return lib.RNN(*args, nonlinearity="relu", **kw)
    return getattr(lib, kind)(*args, **kw)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
@pytest.mark.parametrize("kind", KINDS)
def test_recurrent_layers_match_torch(kind, cfg, dtype, rng):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    L, N, H_in, H = 5, 3, 4, 6
    shape = (N, L, H_in) if cfg.get("batch_first") else (L, N, H_in)
    x = rng.standard_normal(shape)
    compare_with_torch(
        _make(nn, kind, H_in, H, **cfg),
        _make(torch.nn, kind, H_in, H, **cfg),
        (x,),
        dtype=dtype,
        train=not cfg.get("dropout"),
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_initial_states_match_torch(kind, bidirectional, rng):
    torch = pytest.importorskip("torch")
    L, N, H_in, H, layers = 4, 2, 3, 5, 2
    D = 2 if bidirectional else 1
    x = rng.standard_normal((L, N, H_in))
    h0 = rng.standard_normal((D * layers, N, H))
    hx = (h0, rng.standard_normal((D * layers, N, H))) if kind == "LSTM" else h0
    kw = dict(num_layers=layers, bidirectional=bidirectional)
    compare_with_torch(
        _make(nn, kind, H_in, H, **kw), _make(torch.nn, kind, H_in, H, **kw), (x, hx)
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input_matches_torch(kind, batch_first, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 3))
    h0 = rng.standard_normal((2, 5))
    hx = (h0, rng.standard_normal((2, 5))) if kind == "LSTM" else h0
    kw = dict(num_layers=2, batch_first=batch_first)
    compare_with_torch(_make(nn, kind, 3, 5, **kw), _make(torch.nn, kind, 3, 5, **kw), (x,))
    compare_with_torch(_make(nn, kind, 3, 5, **kw), _make(torch.nn, kind, 3, 5, **kw), (x, hx))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lstm_proj_size_matches_torch(dtype, rng):
    torch = pytest.importorskip("torch")
    kw = dict(num_layers=2, bidirectional=True, proj_size=2)
    x = rng.standard_normal((4, 2, 3))
    compare_with_torch(nn.LSTM(3, 5, **kw), torch.nn.LSTM(3, 5, **kw), (x,), dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "kind, kw",
    [
        ("RNNCell", {}),
        ("RNNCell", dict(nonlinearity="relu")),
        ("LSTMCell", {}),
        ("GRUCell", {}),
        ("GRUCell", dict(bias=False)),
    ],
)
def test_cells_match_torch(kind, kw, dtype, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 4))
    h = rng.standard_normal((3, 5))
    hx = (h, rng.standard_normal((3, 5))) if kind == "LSTMCell" else h
    make = lambda lib: getattr(lib, kind)(4, 5, **kw)  # noqa: E731
    compare_with_torch(make(nn), make(torch.nn), (x,), dtype=dtype)
    compare_with_torch(make(nn), make(torch.nn), (x, hx), dtype=dtype)
    # unbatched
    hx1 = (h[0], hx[1][0]) if kind == "LSTMCell" else h[0]
    compare_with_torch(make(nn), make(torch.nn), (x[0], hx1), dtype=dtype)


# ---- dropout between layers ---------------------------------------------------------------


def test_dropout_between_layers_only_in_training(rng):
    x = autograd.tensor(rng.standard_normal((6, 2, 3)), dtype=autograd.float32)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.5)
    lstm = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    lstm.eval()
    a, _ = lstm(x)
    b, _ = lstm(x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    lstm.train()
    c, _ = lstm(x)
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())
    nn.RNN(3, 4, num_layers=2, dropout=1.0).train()(x)[0].sum().backward()


# ---- gradchecks ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_recurrent_gradcheck(kind, rng):
    x = autograd.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h0 = autograd.tensor(rng.standard_normal((2, 2, 2)), requires_grad=True)
    m = _make(nn, kind, 2, 2, bidirectional=True)
    if kind == "LSTM":
        c0 = autograd.tensor(rng.standard_normal((2, 2, 2)), requires_grad=True)
        m.double()
        params = tuple(m.parameters())
        assert autograd.gradcheck(lambda x, h, c, *ps: m(x, (h, c)), (x, h0, c0) + params)
    else:
        check_module_grads(m, x, h0)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_gradcheck(kind, rng):
    check_module_grads(
        getattr(nn, kind)(2, 3), autograd.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    )


def test_lstm_second_order_gradients(rng):
    m = nn.LSTM(2, 2).double()
    x = autograd.tensor(rng.standard_normal((2, 1, 2)), requires_grad=True)
    assert autograd.gradgradcheck(lambda x: m(x)[0], (x,))


# ---- parameters, init, repr, hooks, errors -------------------------------------------------


def test_parameter_names_and_shapes():
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    got = [(k, tuple(v.shape)) for k, v in lstm.state_dict().items()]
    assert got[:8] == [
        ("weight_ih_l0", (20, 3)),
        ("weight_hh_l0", (20, 5)),
        ("bias_ih_l0", (20,)),
        ("bias_hh_l0", (20,)),
        ("weight_ih_l0_reverse", (20, 3)),
        ("weight_hh_l0_reverse", (20, 5)),
        ("bias_ih_l0_reverse", (20,)),
        ("bias_hh_l0_reverse", (20,)),
    ]
    assert got[8] == ("weight_ih_l1", (20, 10))
    assert len(got) == 16
    assert [k for k, _ in nn.GRU(3, 4, bias=False).named_parameters()] == [
        "weight_ih_l0",
        "weight_hh_l0",
    ]
    assert nn.GRU(3, 4).weight_ih_l0.shape == (12, 3)
    assert [k for k in nn.LSTMCell(2, 3).state_dict()] == [
        "weight_ih",
        "weight_hh",
        "bias_ih",
        "bias_hh",
    ]
    assert len(lstm.all_weights) == 4 and lstm.all_weights[1][0] is lstm.weight_ih_l0_reverse


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.LSTM(8, 64, num_layers=2),
        lambda m: m.GRU(8, 64),
        lambda m: m.RNN(8, 64, bidirectional=True),
        lambda m: m.LSTMCell(8, 64),
    ],
)
def test_default_init_is_uniform_in_one_over_sqrt_hidden(make):
    bound = 1 / math.sqrt(64)
    values = np.concatenate([p.detach().numpy().ravel() for p in make(nn).parameters()])
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.99 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.03 * bound
    assert abs(values.mean()) < 0.03 * bound
    try:
        import torch
    except ImportError:
        return
    theirs = np.concatenate([p.detach().numpy().ravel() for p in make(torch.nn).parameters()])
    assert theirs.shape == values.shape
    assert abs(theirs.std() - values.std()) < 0.03 * bound


def test_repr_matches_torch():
    cases = [
        ("LSTM", (10, 20), dict(num_layers=2, batch_first=True)),
        ("RNN", (3, 4), dict(nonlinearity="relu")),
        ("GRU", (3, 4), dict(bias=False, dropout=0.25, num_layers=2, bidirectional=True)),
        ("LSTM", (4, 3), dict(proj_size=2)),
        ("RNNCell", (3, 4), dict(nonlinearity="relu")),
        ("LSTMCell", (3, 4), dict(bias=False)),
        ("GRUCell", (3, 4), {}),
    ]
    assert (
        repr(nn.LSTM(10, 20, num_layers=2, batch_first=True))
        == "LSTM(10, 20, num_layers=2, batch_first=True)"
    )
    assert_reprs_match_torch(nn, cases)


def test_forward_hook_sees_output_tuple(rng):
    lstm = nn.LSTM(3, 4)
    seen = []
    lstm.register_forward_hook(lambda m, inp, out: seen.append((out[0].shape, out[1][0].shape)))
    lstm(autograd.tensor(rng.standard_normal((5, 2, 3)), dtype=autograd.float32))
    assert seen == [((5, 2, 4), (1, 2, 4))]


def test_errors():
    rnn = nn.RNN(3, 4, num_layers=2)
    with pytest.raises(
        ValueError, match="RNN: Expected input to be 2D or 3D, got 4D tensor instead"
    ):
        rnn(autograd.zeros(1, 2, 3, 3))
    with pytest.raises(
        RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 5"
    ):
        rnn(autograd.zeros(2, 2, 5))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(2, 2, 4\), got \[1, 2, 4\]"):
        rnn(autograd.zeros(2, 2, 3), autograd.zeros(1, 2, 4))
    with pytest.raises(
        RuntimeError, match=r"Expected hidden\[1\] size \(1, 2, 4\), got \[1, 2, 5\]"
    ):
        nn.LSTM(3, 4)(autograd.zeros(2, 2, 3), (autograd.zeros(1, 2, 4), autograd.zeros(1, 2, 5)))
    with pytest.raises(ValueError, match="does not match weight dtype"):
        rnn(autograd.zeros(2, 2, 3, dtype=autograd.float64))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="GRUCell: Expected input to be 1D or 2D, got 3D instead"):
        nn.GRUCell(3, 4)(autograd.zeros(1, 1, 3))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 2 expected 3"):
        nn.RNNCell(3, 4)(autograd.zeros(5, 2))


def test_sequence_classifier_learns(rng):
    """A tiny GRU learns to tell whether a sequence's sum is positive (end to end check that
    gradients flow through time)."""
    autograd.manual_seed(0)
    model_rnn, head = nn.GRU(1, 8, batch_first=True), nn.Linear(8, 1)
    params = list(model_rnn.parameters()) + list(head.parameters())
    x = rng.standard_normal((64, 6, 1)).astype(np.float32)
    y = (x.sum(axis=(1, 2)) > 0).astype(np.float32)[:, None]
    xt, yt = autograd.tensor(x), autograd.tensor(y)

    def loss_fn():
        _, h = model_rnn(xt)
        logits = head(h[0])
        # logistic loss, written out: log(1 + exp(-s*z)) with s = +-1
        s = yt * 2 - 1
        return autograd.log1p(autograd.exp(-s * logits)).mean()

    first = loss_fn().item()
    for _ in range(60):
        for p in params:
            p.grad = None
        loss = loss_fn()
        loss.backward()
        with autograd.no_grad():
            for p in params:
                p.sub_(p.grad * 0.5)
    assert loss_fn().item() < 0.5 * first
