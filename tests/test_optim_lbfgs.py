"""LBFGS: trajectories, evaluation counts and state_dicts vs torch.optim.LBFGS (float64),
with and without the strong-Wolfe line search; closure semantics; checkpoints."""

import numpy as np
import pytest

import autograd
import optim
from test_optim import MLP_INIT, MLP_X, MLP_Y, ROSEN_INIT, mlp_loss, rosenbrock

F64 = autograd.float64

CONFIGS = [
    {},
    {"line_search_fn": "strong_wolfe"},
    {"history_size": 2, "max_iter": 7, "lr": 0.5},  # the history is full and shifts
    {"history_size": 3, "line_search_fn": "strong_wolfe", "max_eval": 9},
    {"tolerance_change": 1e-3, "line_search_fn": "strong_wolfe"},
]


def _run(lib, problem, steps, **kwargs):
    """Losses returned by step(), parameters after each step, and the optimizer."""
    init = ROSEN_INIT if problem == "rosenbrock" else MLP_INIT
    if lib == "torch":
        import torch

        params = [torch.tensor(a.copy(), requires_grad=True) for a in init]
        opt = torch.optim.LBFGS(params, **kwargs)
        x, y = torch.tensor(MLP_X), torch.tensor(MLP_Y)
    else:
        params = [autograd.tensor(a.copy(), dtype=F64, requires_grad=True) for a in init]
        opt = optim.LBFGS(params, **kwargs)
        x, y = autograd.tensor(MLP_X), autograd.tensor(MLP_Y)

    def closure():
        opt.zero_grad()
        loss = (
            rosenbrock(params[0])
            if problem == "rosenbrock"
            else mlp_loss(params, x, y, lambda a, b: a @ b)
        )
        loss.backward()
        return loss

    history = []
    for _ in range(steps):
        loss = opt.step(closure)
        history.append((loss.item(), [p.detach().numpy().copy() for p in params]))
    return history, opt


def _state(opt):
    return opt.state[opt.param_groups[0]["params"][0]]


@pytest.mark.parametrize("problem", ["rosenbrock", "mlp"])
@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "default"
)
def test_lbfgs_matches_torch(problem, config):
    pytest.importorskip("torch")
    # few iterations per step: L-BFGS amplifies rounding differences (BLAS dot products
    # sum in another order) once it is close to the optimum
    kwargs = dict({"max_iter": 5}, **config)
    ours, opt = _run("ours", problem, 3, **kwargs)
    theirs, topt = _run("torch", problem, 3, **kwargs)
    for step, ((la, pa), (lb, pb)) in enumerate(zip(ours, theirs)):
        assert la == pytest.approx(lb, rel=1e-10, abs=1e-12), f"loss at step {step + 1}"
        for a, b in zip(pa, pb):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11, err_msg=f"step {step + 1}")
    st, tst = _state(opt), _state(topt)
    assert (st["func_evals"], st["n_iter"]) == (tst["func_evals"], tst["n_iter"])
    assert not np.allclose(ours[-1][1][0], (ROSEN_INIT if problem == "rosenbrock" else MLP_INIT)[0])


def test_lbfgs_state_dict_like_torch():
    torch = pytest.importorskip("torch")
    kwargs = dict(line_search_fn="strong_wolfe", history_size=4, max_iter=6)
    _, opt = _run("ours", "mlp", 2, **kwargs)
    _, topt = _run("torch", "mlp", 2, **kwargs)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert list(sd["state"]) == list(tsd["state"]) == [0]
    ours, theirs = sd["state"][0], tsd["state"][0]
    assert set(ours) == set(theirs)

    def same(a, b, key):
        if isinstance(b, list):
            assert isinstance(a, list) and len(a) == len(b), key
            for x, y in zip(a, b):
                same(x, y, key)
        elif isinstance(b, torch.Tensor):
            assert isinstance(a, autograd.Tensor) and a.shape == tuple(b.shape), key
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-8, atol=1e-12, err_msg=key)
        else:
            assert type(a) is type(b) and a == pytest.approx(b, rel=1e-8), key

    for key in theirs:
        same(ours[key], theirs[key], key)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_checkpoint_resumes_exactly(tmp_path, line_search_fn):
    kwargs = dict(line_search_fn=line_search_fn, history_size=3, max_iter=4)
    straight, _ = _run("ours", "mlp", 4, **kwargs)

    first, opt = _run("ours", "mlp", 2, **kwargs)
    path = tmp_path / "lbfgs.safetensors"
    autograd.save({"optim": opt.state_dict()}, path)
    params = [autograd.tensor(a, dtype=F64, requires_grad=True) for a in first[-1][1]]
    opt2 = optim.LBFGS(params, **kwargs)
    opt2.load_state_dict(autograd.load(path)["optim"])
    x, y = autograd.tensor(MLP_X), autograd.tensor(MLP_Y)

    def closure():
        opt2.zero_grad()
        loss = mlp_loss(params, x, y, lambda a, b: a @ b)
        loss.backward()
        return loss

    for step in (2, 3):
        opt2.step(closure)
        for a, b in zip(params, straight[step][1]):
            np.testing.assert_array_equal(a.detach().numpy(), b)


def test_lbfgs_solves_a_quadratic():
    # f(w) = |A w - b|^2 is quadratic: with the line search, L-BFGS reaches the
    # least-squares solution in a handful of iterations.
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((8, 4)), rng.standard_normal(8)
    w = autograd.zeros(4, dtype=F64, requires_grad=True)
    at, bt = autograd.tensor(a), autograd.tensor(b)
    opt = optim.LBFGS(
        [w], line_search_fn="strong_wolfe", tolerance_grad=1e-12, tolerance_change=1e-15
    )

    def closure():
        opt.zero_grad()
        loss = ((at @ w - bt) ** 2).sum()
        loss.backward()
        return loss

    first = opt.step(closure)
    assert first.item() == pytest.approx(float(b @ b))  # step returns the first loss
    np.testing.assert_allclose(w.detach().numpy(), np.linalg.lstsq(a, b, rcond=None)[0], rtol=1e-6)
    assert _state(opt)["func_evals"] <= 25


def test_lbfgs_closure_semantics():
    w = autograd.tensor([1.0, 2.0], requires_grad=True)
    calls = []

    def closure():
        calls.append(autograd.is_grad_enabled())
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    opt = optim.LBFGS([w], max_iter=3)
    with autograd.no_grad():  # the closure still records a graph
        opt.step(closure)
    assert calls == [True] * 3 and len(calls) == _state(opt)["func_evals"]
    assert w.dtype == autograd.float32 and _state(opt)["d"].dtype == autograd.float32
    with pytest.raises(TypeError, match="closure"):
        opt.step()
    with pytest.raises(TypeError, match="requires a closure"):
        opt.step(None)

    # already optimal: one evaluation, nothing moves
    z = autograd.zeros(2, requires_grad=True)
    opt = optim.LBFGS([z])

    def flat():
        opt.zero_grad()
        loss = (z * z).sum()
        loss.backward()
        return loss

    opt.step(flat)
    assert _state(opt)["func_evals"] == 1 and "d" not in _state(opt)


def test_lbfgs_errors():
    w = autograd.tensor([1.0], requires_grad=True)
    v = autograd.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [w]}, {"params": [v]}])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([w], lr=-1)
    opt = optim.LBFGS([w], line_search_fn="backtracking")
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(lambda: (w * w).sum())
    assert optim.LBFGS([w], max_iter=8).defaults["max_eval"] == 10
