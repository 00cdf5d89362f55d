"""Adadelta, Rprop, ASGD, Adafactor, SparseAdam and torch's implementation flags: state_dicts
and error messages vs torch, first steps vs the textbook rules, SparseAdam's lazy update vs
torch with real sparse gradients. (Trajectories of every optimizer: tests/test_optim.py.)"""

import math

import numpy as np
import pytest

import autograd
import optim
from optim import _functional as F
from test_optim import ALL, MLP_INIT, MLP_X, MLP_Y, _by_hand, _check, _first_steps, mlp_loss

F64 = autograd.float64


def _train(lib, name, kwargs, steps=6):
    if lib == "torch":
        import torch

        params = [torch.tensor(a.copy(), requires_grad=True) for a in MLP_INIT]
        opt = getattr(torch.optim, name)(params, lr=0.01, **kwargs)
        x, y = torch.tensor(MLP_X), torch.tensor(MLP_Y)
    else:
        params = [autograd.tensor(a.copy(), dtype=F64, requires_grad=True) for a in MLP_INIT]
        opt = getattr(optim, name)(params, lr=0.01, **kwargs)
        x, y = autograd.tensor(MLP_X), autograd.tensor(MLP_Y)
    for _ in range(steps):
        opt.zero_grad()
        mlp_loss(params, x, y, lambda a, b: a @ b).backward()
        opt.step()
    return opt


@pytest.mark.parametrize("name,kwargs", ALL, ids=[n for n, _ in ALL])
def test_state_dict_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    sd = _train("ours", name, kwargs).state_dict()
    tsd = _train("torch", name, kwargs).state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert sorted(sd["state"]) == sorted(tsd["state"])
    for k, tstate in tsd["state"].items():
        state = sd["state"][k]
        assert set(state) == set(tstate), (name, k)
        for key, tv in tstate.items():
            v = state[key]
            assert isinstance(v, autograd.Tensor) and isinstance(tv, torch.Tensor), key
            assert v.shape == tuple(tv.shape) and str(v.dtype)[9:] == str(tv.dtype)[6:], key
            np.testing.assert_allclose(
                v.numpy(), tv.numpy(), rtol=1e-10, atol=1e-13, err_msg=f"{name} state {k} {key}"
            )


BAD = [
    ("Adadelta", {"lr": -1.0}),
    ("Adadelta", {"rho": 1.5}),
    ("Adadelta", {"eps": -1.0}),
    ("Adadelta", {"weight_decay": -1.0}),
    ("Rprop", {"lr": -1.0}),
    ("Rprop", {"etas": (1.2, 0.5)}),
    ("ASGD", {"lr": -1.0}),
    ("ASGD", {"weight_decay": -1.0}),
    ("Adafactor", {"lr": -1.0}),
    ("Adafactor", {"beta2_decay": 0.5}),
    ("Adafactor", {"eps": (-1.0, 1e-3)}),
    ("Adafactor", {"eps": (None, -1.0)}),
    ("Adafactor", {"d": 0.5}),
    ("Adafactor", {"weight_decay": -1.0}),
    ("SparseAdam", {"lr": 0.0}),
    ("SparseAdam", {"eps": 0.0}),
    ("SparseAdam", {"betas": (1.0, 0.9)}),
    ("SparseAdam", {"betas": (0.9, 1.0)}),
    ("LBFGS", {"lr": -1.0}),
]


@pytest.mark.parametrize("name,kwargs", BAD, ids=[f"{n}-{k}" for n, k in BAD])
def test_hyperparameter_errors_as_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([autograd.zeros(2, requires_grad=True)], **kwargs)
    assert str(ours.value) == str(theirs.value)


# ---- first steps by hand (quadratic sum(c p^2)/2, see test_optim) ---------------------------
def test_adadelta_by_hand():
    def rule(t, p, g, s, lr=1.0, rho=0.9, eps=1e-6):
        s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g * g
        delta = math.sqrt(s.get("u", 0.0) + eps) / math.sqrt(s["v"] + eps) * g
        s["u"] = rho * s.get("u", 0.0) + (1 - rho) * delta * delta
        return p - lr * delta

    _check(_first_steps("Adadelta", steps=3, lr=1.0), _by_hand(rule, steps=3))


def test_rprop_by_hand():
    def rule(t, p, g, s, lr=0.1, eta_minus=0.5, eta_plus=1.2):
        prev, size = s.get("prev", 0.0), s.get("size", lr)
        if prev * g > 0:
            size = min(size * eta_plus, 50)
        elif prev * g < 0:
            size, g = max(size * eta_minus, 1e-6), 0.0
        s["prev"], s["size"] = g, size
        return p - math.copysign(size, g) * (g != 0)

    # lr 0.1 and 1.5: the first keeps every sign (steps grow), the second overshoots and flips
    _check(_first_steps("Rprop", steps=4, lr=0.1), _by_hand(rule, steps=4))
    _check(
        _first_steps("Rprop", steps=4, lr=1.5),
        _by_hand(lambda t, p, g, s: rule(t, p, g, s, lr=1.5), steps=4),
    )


def test_asgd_by_hand():
    def rule(t, p, g, s, lr=0.1, lambd=0.01, alpha=0.75, t0=2):
        eta = s.get("eta", float(np.float32(lr)))  # torch keeps eta in float32
        p = p * (1 - lambd * eta) - eta * g
        mu = s.get("mu", 1.0)
        s["ax"] = p if mu == 1 else s["ax"] + (p - s["ax"]) * mu
        s["eta"] = float(np.float32(lr / (1 + lambd * lr * t) ** alpha))  # kept in float32
        s["mu"] = float(np.float32(1 / max(1, t - t0)))
        return p

    _check(_first_steps("ASGD", steps=5, lr=0.1, lambd=0.01, t0=2), _by_hand(rule, steps=5))


def test_adafactor_vector_by_hand():
    # for a vector the second moment is not factored: v = lerp(v, g^2, t^-0.8), the step is
    # max(eps2, RMS(p)) * min(lr, 1/sqrt(t)) along g / sqrt(v), clipped to RMS <= d
    p0, c = np.array([1.0, -2.0]), np.array([3.0, 0.5])
    p, v = p0.copy(), np.zeros(2)
    expected = []
    for t in range(1, 4):
        g = c * p
        w = t**-0.8
        v = v + w * (g * g - v)
        alpha = max(1e-3, np.sqrt(np.mean(p * p))) * min(0.01, 1 / math.sqrt(t))
        u = g / np.sqrt(np.maximum(v, np.finfo(np.float64).eps ** 2))
        p = p - alpha / max(1.0, np.sqrt(np.mean(u * u))) * u
        expected.append(p.copy())
    _check(_first_steps("Adafactor", steps=3, lr=0.01), expected)


def test_adafactor_factors_matrices():
    w = autograd.tensor(np.arange(1.0, 13.0).reshape(2, 2, 3), dtype=F64, requires_grad=True)
    b = autograd.tensor([1.0, 2.0], dtype=F64, requires_grad=True)
    opt = optim.Adafactor([w, b])
    ((w * w).sum() + (b * b).sum()).backward()
    opt.step()
    assert set(opt.state[w]) == {"step", "row_var", "col_var"}
    assert opt.state[w]["row_var"].shape == (2, 2, 1) and opt.state[w]["col_var"].shape == (2, 1, 3)
    assert set(opt.state[b]) == {"step", "variance"}
    g2 = (2 * np.arange(1.0, 13.0).reshape(2, 2, 3)) ** 2  # the first step: lerp weight 1
    np.testing.assert_allclose(opt.state[w]["row_var"].numpy(), g2.mean(-1, keepdims=True))
    np.testing.assert_allclose(opt.state[w]["col_var"].numpy(), g2.mean(-2, keepdims=True))


# ---- SparseAdam -------------------------------------------------------------------------
def test_sparse_adam_refuses_dense_gradients_like_torch():
    torch = pytest.importorskip("torch")
    tp = torch.zeros(3, 2, requires_grad=True)
    topt = torch.optim.SparseAdam([tp])
    (tp * tp).sum().backward()
    with pytest.raises(RuntimeError) as theirs:
        topt.step()
    p = autograd.zeros(3, 2, requires_grad=True)
    opt = optim.SparseAdam([p])
    (p * p).sum().backward()
    with pytest.raises(RuntimeError) as ours:
        opt.step()
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("maximize", [False, True])
def test_sparse_adam_update_matches_torch(maximize):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    p0 = rng.standard_normal((6, 3))
    tp = torch.tensor(p0.copy(), requires_grad=True)
    topt = torch.optim.SparseAdam([tp], lr=0.1, betas=(0.8, 0.9), maximize=maximize)
    p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    # rows touched per step; the last repeats a row (summed) and the one before is empty
    for step, rows in enumerate([[0, 2], [2, 5, 1], [], [4, 4, 0]], start=1):
        vals = rng.standard_normal((len(rows), 3))
        idx = np.array([rows], dtype=np.int64).reshape(1, -1)
        tp.grad = torch.sparse_coo_tensor(
            torch.tensor(idx), torch.tensor(vals), (6, 3), check_invariants=True
        )
        topt.step()
        F.sparse_adam(
            [p],
            [(idx, vals)],
            [m],
            [v],
            [step],
            eps=1e-8,
            beta1=0.8,
            beta2=0.9,
            lr=0.1,
            maximize=maximize,
        )
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(m, topt.state[tp]["exp_avg"].numpy(), rtol=1e-12, atol=1e-14)
    untouched = 3  # a row no gradient touched
    np.testing.assert_array_equal(p[untouched], p0[untouched])


# ---- implementation flags ---------------------------------------------------------------
def test_foreach_fused_capturable_are_accepted_and_change_nothing(stepping_optimizers):
    base = _train("ours", "Adam", {}).state_dict()
    flags = _train("ours", "Adam", {"foreach": True, "fused": True, "capturable": True})
    for k, st in base["state"].items():
        for key, v in st.items():
            np.testing.assert_array_equal(v.numpy(), flags.state_dict()["state"][k][key].numpy())
    assert flags.param_groups[0]["foreach"] is True and flags.param_groups[0]["fused"] is True
    for name in stepping_optimizers:
        opt = getattr(optim, name)([autograd.zeros(2, requires_grad=True)], foreach=True)
        assert opt.defaults["foreach"] is True
