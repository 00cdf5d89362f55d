"""Tests for optim: trajectories vs torch.optim (float64, 50 steps, 1e-10), first steps vs
hand-computed textbook formulas, the Optimizer base (groups, zero_grad, errors, state_dict)."""

import copy
import math

import numpy as np
import pytest

import autograd
import optim
from optim import _functional as F
from optim import _inplace

F64 = autograd.float64


# ---- problems written with autograd ops ---------------------------------------------
def _mm(a, b):
    """Matrix product; falls back to broadcasting while autograd.matmul is being written."""
    if hasattr(autograd, "matmul"):
        return a @ b
    return (a.unsqueeze(-1) * b.unsqueeze(0)).sum(1)


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


_rng = np.random.default_rng(1234)
MLP_X = _rng.standard_normal((6, 3))
MLP_Y = _rng.standard_normal((6, 2))
MLP_INIT = [
    _rng.standard_normal((3, 5)) * 0.5,
    _rng.standard_normal(5) * 0.1,
    _rng.standard_normal((5, 2)) * 0.5,
    _rng.standard_normal(2) * 0.1,
]
ROSEN_INIT = [np.array([-0.5, 0.5])]


def mlp_loss(params, x, y, mm):
    w1, b1, w2, b2 = params
    h = mm(x, w1).__add__(b1).tanh()
    out = mm(h, w2) + b2
    return ((out - y) ** 2).sum()


PROBLEMS = {"rosenbrock": (ROSEN_INIT,), "mlp": (MLP_INIT,)}


def _loss(problem, params, lib):
    if problem == "rosenbrock":
        return rosenbrock(params[0])
    if lib == "torch":
        import torch

        return mlp_loss(params, torch.tensor(MLP_X), torch.tensor(MLP_Y), lambda a, b: a @ b)
    return mlp_loss(
        params, autograd.tensor(MLP_X, dtype=F64), autograd.tensor(MLP_Y, dtype=F64), _mm
    )


# (optimizer name, kwargs, lr for rosenbrock, lr for the mlp): every flag appears at least once.
CONFIGS = [
    ("SGD", {}, 1e-3, 0.05),
    ("SGD", {"momentum": 0.9}, 5e-4, 0.02),
    ("SGD", {"momentum": 0.9, "dampening": 0.3}, 5e-4, 0.02),
    ("SGD", {"momentum": 0.9, "nesterov": True}, 5e-4, 0.02),
    ("SGD", {"momentum": 0.5, "weight_decay": 0.1}, 1e-3, 0.05),
    ("SGD", {"momentum": 0.9, "maximize": True}, 5e-4, 0.02),
    ("Adam", {}, 0.01, 0.01),
    ("Adam", {"amsgrad": True}, 0.01, 0.01),
    ("Adam", {"weight_decay": 0.1}, 0.01, 0.01),
    ("Adam", {"weight_decay": 0.1, "decoupled_weight_decay": True}, 0.01, 0.01),
    ("Adam", {"betas": (0.3, 0.4), "eps": 1e-3}, 0.01, 0.01),  # lerp weight >= 0.5 branch
    ("Adam", {"maximize": True, "amsgrad": True, "weight_decay": 0.05}, 0.01, 0.01),
    ("AdamW", {}, 0.01, 0.01),
    ("AdamW", {"amsgrad": True, "weight_decay": 0.3}, 0.01, 0.01),
    ("AdamW", {"maximize": True}, 0.01, 0.01),
    ("RMSprop", {}, 1e-3, 1e-3),
    ("RMSprop", {"centered": True}, 1e-3, 1e-3),
    ("RMSprop", {"momentum": 0.5}, 1e-3, 1e-3),
    ("RMSprop", {"centered": True, "momentum": 0.5, "alpha": 0.9}, 1e-3, 1e-3),
    ("RMSprop", {"weight_decay": 0.1, "eps": 1e-4}, 1e-3, 1e-3),
    ("RMSprop", {"maximize": True}, 1e-3, 1e-3),
    ("Adagrad", {}, 0.05, 0.05),
    ("Adagrad", {"lr_decay": 0.01}, 0.05, 0.05),
    ("Adagrad", {"weight_decay": 0.1}, 0.05, 0.05),
    ("Adagrad", {"initial_accumulator_value": 0.5, "eps": 1e-6}, 0.05, 0.05),
    ("Adagrad", {"maximize": True}, 0.05, 0.05),
    ("NAdam", {}, 0.01, 0.01),
    ("NAdam", {"momentum_decay": 0.01}, 0.01, 0.01),
    ("NAdam", {"weight_decay": 0.1}, 0.01, 0.01),
    ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}, 0.01, 0.01),
    ("NAdam", {"maximize": True}, 0.01, 0.01),
    ("RAdam", {}, 0.01, 0.01),
    ("RAdam", {"weight_decay": 0.1}, 0.01, 0.01),
    ("RAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}, 0.01, 0.01),
    ("RAdam", {"maximize": True, "betas": (0.8, 0.9)}, 0.01, 0.01),
    ("Adamax", {}, 0.01, 0.01),
    ("Adamax", {"weight_decay": 0.1}, 0.01, 0.01),
    ("Adamax", {"maximize": True, "betas": (0.4, 0.99)}, 0.01, 0.01),
    ("Adadelta", {}, 1.0, 1.0),
    ("Adadelta", {"rho": 0.5, "eps": 1e-4, "weight_decay": 0.1}, 1.0, 1.0),
    ("Adadelta", {"maximize": True}, 0.5, 0.5),
    ("Rprop", {}, 1e-3, 1e-3),
    ("Rprop", {"etas": (0.3, 1.5), "step_sizes": (1e-4, 0.02)}, 1e-3, 1e-3),
    ("Rprop", {"maximize": True}, 1e-3, 1e-3),
    ("ASGD", {}, 1e-3, 0.02),
    ("ASGD", {"t0": 10, "lambd": 0.1, "alpha": 0.5, "weight_decay": 0.1}, 1e-3, 0.02),
    ("ASGD", {"maximize": True, "t0": 5}, 1e-3, 0.02),
    ("Adafactor", {}, 0.01, 0.01),
    (
        "Adafactor",
        {"beta2_decay": -0.5, "eps": (1e-20, 1e-2), "d": 2.0, "weight_decay": 0.1},
        0.01,
        0.01,
    ),
    ("Adafactor", {"maximize": True}, 0.01, 0.01),
]


def _cid(c):
    return c[0] + "-" + ("-".join(f"{k}={v}" for k, v in c[1].items()) or "default")


def _run(lib, name, kwargs, lr, problem, steps=50):
    """Parameter values after each step, for our optim or torch.optim."""
    init = PROBLEMS[problem][0]
    maximize = kwargs.get("maximize", False)
    if lib == "torch":
        import torch

        params = [torch.tensor(a.copy(), requires_grad=True) for a in init]
        opt = getattr(torch.optim, name)(params, lr=lr, foreach=False, **kwargs)
    else:
        params = [autograd.tensor(a.copy(), dtype=F64, requires_grad=True) for a in init]
        opt = getattr(optim, name)(params, lr=lr, **kwargs)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss = _loss(problem, params, lib)
        (-loss if maximize else loss).backward()
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


@pytest.mark.parametrize("problem", ["rosenbrock", "mlp"])
@pytest.mark.parametrize("config", CONFIGS, ids=_cid)
def test_trajectory_matches_torch(config, problem):
    pytest.importorskip("torch")
    name, kwargs, lr_rosen, lr_mlp = config
    lr = lr_rosen if problem == "rosenbrock" else lr_mlp
    ours = _run("ours", name, kwargs, lr, problem)
    theirs = _run("torch", name, kwargs, lr, problem)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for pa, pb in zip(a, b):
            assert np.all(np.isfinite(pb)), "test problem diverges in torch: lower its lr"
            np.testing.assert_allclose(
                pa, pb, rtol=1e-10, atol=1e-10, err_msg=f"{_cid(config)} step {step + 1}"
            )
    # the comparison means something only if the parameters actually moved
    assert not np.allclose(ours[-1][0], PROBLEMS[problem][0][0], atol=1e-3)


# ---- first steps by hand ----------------------------------------------------------------
# Quadratic loss sum(c * p**2) / 2 with p0 below: the gradient is g = c * p, so every
# expected value is a short scalar computation from the documented update rule.
P0 = [1.0, -2.0]
C = [3.0, 0.5]


def _first_steps(name, steps=2, **kwargs):
    p = autograd.tensor(P0, dtype=F64, requires_grad=True)
    c = autograd.tensor(C, dtype=F64)
    opt = getattr(optim, name)([p], **kwargs)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        ((c * p * p).sum() / 2).backward()
        opt.step()
        out.append(p.detach().numpy().copy())
    return out


def _by_hand(update, steps=2):
    """Apply ``update(t, p, g, state) -> p`` per coordinate for ``steps`` steps."""
    res = []
    ps = list(P0)
    states = [{} for _ in ps]
    for t in range(1, steps + 1):
        ps = [update(t, p, c * p, st) for p, c, st in zip(ps, C, states)]
        res.append(np.array(ps))
    return res


def _check(ours, expected):
    for a, b in zip(ours, expected):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_sgd_by_hand():
    _check(_first_steps("SGD", lr=0.1), _by_hand(lambda t, p, g, s: p - 0.1 * g))

    def momentum(t, p, g, s, mu=0.9, damp=0.2, wd=0.01, lr=0.1):
        g = g + wd * p
        s["b"] = g if t == 1 else mu * s["b"] + (1 - damp) * g
        return p - lr * s["b"]

    _check(
        _first_steps("SGD", steps=3, lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.01),
        _by_hand(momentum, steps=3),
    )

    def nesterov(t, p, g, s, mu=0.9, lr=0.1):
        s["b"] = g if t == 1 else mu * s["b"] + g
        return p - lr * (g + mu * s["b"])

    _check(
        _first_steps("SGD", steps=3, lr=0.1, momentum=0.9, nesterov=True),
        _by_hand(nesterov, steps=3),
    )


def _adam_rule(amsgrad=False, wd=0.0, decoupled=False, lr=0.1, b1=0.9, b2=0.999, eps=1e-8):
    def update(t, p, g, s):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        s["vmax"] = max(s.get("vmax", 0.0), s["v"])
        v = s["vmax"] if amsgrad else s["v"]
        m_hat = s["m"] / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        return p - lr * m_hat / (math.sqrt(v_hat) + eps)

    return update


def test_adam_family_by_hand():
    _check(_first_steps("Adam", steps=3, lr=0.1), _by_hand(_adam_rule(), steps=3))
    # the first Adam step moves every coordinate by lr * sign(g) (up to eps)
    first = _first_steps("Adam", steps=1, lr=0.1)[0]
    np.testing.assert_allclose(first, [0.9, -1.9], rtol=1e-7)
    _check(
        _first_steps("Adam", steps=3, lr=0.1, amsgrad=True, weight_decay=0.1),
        _by_hand(_adam_rule(amsgrad=True, wd=0.1), steps=3),
    )
    _check(
        _first_steps("AdamW", steps=3, lr=0.1, weight_decay=0.1),
        _by_hand(_adam_rule(wd=0.1, decoupled=True), steps=3),
    )


def test_rmsprop_by_hand():
    def plain(t, p, g, s, lr=0.01, alpha=0.99, eps=1e-8):
        s["v"] = alpha * s.get("v", 0.0) + (1 - alpha) * g * g
        return p - lr * g / (math.sqrt(s["v"]) + eps)

    _check(_first_steps("RMSprop", steps=3, lr=0.01), _by_hand(plain, steps=3))

    def centered_momentum(t, p, g, s, lr=0.01, alpha=0.9, eps=1e-8, mu=0.5):
        s["v"] = alpha * s.get("v", 0.0) + (1 - alpha) * g * g
        s["gm"] = alpha * s.get("gm", 0.0) + (1 - alpha) * g
        s["b"] = mu * s.get("b", 0.0) + g / (math.sqrt(s["v"] - s["gm"] ** 2) + eps)
        return p - lr * s["b"]

    _check(
        _first_steps("RMSprop", steps=3, lr=0.01, alpha=0.9, centered=True, momentum=0.5),
        _by_hand(centered_momentum, steps=3),
    )


def test_adagrad_by_hand():
    def rule(t, p, g, s, lr=0.1, decay=0.5, init=0.2, eps=1e-10):
        s["sum"] = s.get("sum", init) + g * g
        return p - lr / (1 + (t - 1) * decay) * g / (math.sqrt(s["sum"]) + eps)

    _check(
        _first_steps("Adagrad", steps=3, lr=0.1, lr_decay=0.5, initial_accumulator_value=0.2),
        _by_hand(rule, steps=3),
    )


def test_nadam_by_hand():
    # float64 default dtype so that mu_product is kept in float64, like this hand computation
    old = autograd.get_default_dtype()
    autograd.set_default_dtype(F64)
    try:
        ours = _first_steps("NAdam", steps=3, lr=0.1)
    finally:
        autograd.set_default_dtype(old)

    def rule(t, p, g, s, lr=0.1, b1=0.9, b2=0.999, eps=1e-8, psi=4e-3):
        mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        s["prod"] = s.get("prod", 1.0) * mu
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        denom = math.sqrt(s["v"] / (1 - b2**t)) + eps
        return (
            p
            - lr * (1 - mu) / (1 - s["prod"]) * g / denom
            - lr * mu_next / (1 - s["prod"] * mu_next) * s["m"] / denom
        )

    _check(ours, _by_hand(rule, steps=3))


def test_radam_by_hand():
    def rule(t, p, g, s, lr=0.1, b1=0.9, b2=0.999, eps=1e-8):
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        m_hat = s["m"] / (1 - b1**t)
        rho_inf = 2 / (1 - b2) - 1
        rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho <= 5:
            return p - lr * m_hat
        r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        return p - lr * m_hat * r * math.sqrt(1 - b2**t) / (math.sqrt(s["v"]) + eps)

    # 8 steps: the first ones are un-rectified (rho_t <= 5), later ones rectified
    _check(_first_steps("RAdam", steps=8, lr=0.1), _by_hand(rule, steps=8))


def test_adamax_by_hand():
    def rule(t, p, g, s, lr=0.1, b1=0.9, b2=0.999, eps=1e-8):
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["u"] = max(b2 * s.get("u", 0.0), abs(g) + eps)
        return p - lr / (1 - b1**t) * s["m"] / s["u"]

    _check(_first_steps("Adamax", steps=3, lr=0.1), _by_hand(rule, steps=3))


def test_maximize_is_gradient_ascent(stepping_optimizers):
    for name in stepping_optimizers:
        down = _first_steps(name, steps=1, lr=0.01)[0]
        up = _first_steps(name, steps=1, lr=0.01, maximize=True)[0]
        p0 = np.array(P0)
        # AdamW's decoupled decay shrinks p in both directions; compare moves along -g
        assert np.all(np.sign(down - p0) == -np.sign(p0)), name
        assert np.all(np.sign(up - p0) == np.sign(p0)), name


def test_functional_routine_is_array_in_place():
    p = np.array([1.0, 2.0])
    g = np.array([0.5, -1.0])
    m, v, step = np.zeros(2), np.zeros(2), np.zeros((), np.float32)
    hyper = dict(amsgrad=False, beta1=0.9, beta2=0.999, lr=0.1, eps=1e-8)
    F.adam([p], [g], [m], [v], [], [step], **hyper, weight_decay=0.0, maximize=False)
    assert float(step) == 1.0
    np.testing.assert_allclose(m, 0.1 * g)
    np.testing.assert_allclose(p, [0.9, 2.1], rtol=1e-7)
    np.testing.assert_array_equal(g, [0.5, -1.0])  # the gradient is not touched
    # with a workspace the scratch arrays are reused across calls (the NumPy path's
    # temporaries; the numba backend's fused kernel needs none)
    ws, sizes = {}, []
    with autograd.backend("numpy"):
        for _ in range(2):
            F.adam(
                [p],
                [g],
                [m],
                [v],
                [],
                [step],
                **hyper,
                weight_decay=0.1,
                maximize=True,
                workspace=ws,
            )
            sizes.append(len(ws))
    assert sizes[0] == sizes[1] > 0
    np.testing.assert_array_equal(g, [0.5, -1.0])


def test_float32_params_stay_float32(stepping_optimizers):
    p = autograd.tensor([1.0, -2.0], requires_grad=True)
    for name in stepping_optimizers:
        opt = getattr(optim, name)([p], lr=0.01)
        (p * p).sum().backward()
        opt.step()
        p.grad = None
        assert p.dtype == autograd.float32
        for v in opt.state[p].values():
            if v.ndim:
                assert v.dtype == autograd.float32, name


# ---- Optimizer base ------------------------------------------------------------------
def _param(values=(1.0, 2.0)):
    return autograd.tensor(list(values), dtype=F64, requires_grad=True)


@pytest.mark.parametrize(
    "name,kwargs,msg",
    [
        ("SGD", {"lr": -0.1}, "Invalid learning rate: -0.1"),
        ("SGD", {"momentum": -1.0}, "Invalid momentum value: -1.0"),
        ("SGD", {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
        ("SGD", {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
        ("Adam", {"lr": -0.1}, "Invalid learning rate: -0.1"),
        ("Adam", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
        ("Adam", {"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
        ("AdamW", {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
        ("RMSprop", {"alpha": -0.5}, "Invalid alpha value: -0.5"),
        ("Adagrad", {"lr_decay": -1.0}, "Invalid lr_decay value: -1.0"),
        (
            "Adagrad",
            {"initial_accumulator_value": -1.0},
            "Invalid initial_accumulator_value value: -1.0",
        ),
        ("NAdam", {"momentum_decay": -1.0}, "Invalid momentum_decay value: -1.0"),
        ("RAdam", {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
        ("Adamax", {"lr": -0.1}, "Invalid learning rate: -0.1"),
    ],
)
def test_hyperparameter_validation(name, kwargs, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(")):
        getattr(optim, name)([_param()], **kwargs)


def test_param_errors():
    p = _param()
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.SGD([p, 3.0], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {p}}], lr=0.1)


def test_param_groups_and_defaults():
    a, b = _param(), _param()
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["momentum"] == 0.9
    assert opt.defaults["lr"] == 0.1
    c = _param()
    opt.add_param_group({"params": [c], "lr": 0.01})
    assert len(opt.param_groups) == 3 and opt.param_groups[2]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    for t in (a, b, c):
        (t * t).sum().backward()
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [0.8, 1.6])
    np.testing.assert_allclose(b.detach().numpy(), [0.0, 0.0])
    np.testing.assert_allclose(c.detach().numpy(), [0.98, 1.96])
    assert "Parameter Group 1" in repr(opt) and "lr: 0.5" in repr(opt)


OPTIMIZERS = [n for n in optim.__all__ if n not in ("Optimizer", "lr_scheduler")]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_defaults_are_the_constructor_arguments_as_torch_stores_them(name):
    # ``defaults`` is read from the constructor's arguments (``_hyperparameters(locals())``):
    # exactly torch's keys and values, with defaults and with every argument changed.
    torch = pytest.importorskip("torch")
    ours = getattr(optim, name)([_param()]).defaults
    assert ours == getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)]).defaults
    if name in ("Adam", "NAdam", "RAdam", "Adamax", "SparseAdam"):
        given = getattr(optim, name)([_param()], lr=0.5, betas=[0.5, 0.6]).defaults
        assert given["lr"] == 0.5 and given["betas"] == (0.5, 0.6)  # stored as a tuple


def test_functional_adamw_is_adam_with_decoupled_decay():
    def run(routine, **decoupled):
        p, m, v, step = np.array([1.0, -2.0]), np.zeros(2), np.zeros(2), np.zeros(())
        hyper = dict(amsgrad=False, beta1=0.9, beta2=0.99, lr=0.1, eps=1e-8, maximize=False)
        for _ in range(3):
            routine([p], [np.array([0.5, 0.25])], [m], [v], [], [step], **hyper, **decoupled)
        return p

    adamw = run(F.adamw, weight_decay=0.1)
    np.testing.assert_array_equal(adamw, run(F.adam, weight_decay=0.1, decoupled_weight_decay=True))
    assert not np.array_equal(adamw, run(F.adam, weight_decay=0.1))


def test_params_without_grad_are_skipped_and_state_keyed_by_param():
    a, b = _param(), _param()
    opt = optim.Adam([a, b], lr=0.1)
    (a * a).sum().backward()
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), [1.0, 2.0])
    assert a in opt.state and b not in opt.state
    assert set(opt.state[a]) == {"step", "exp_avg", "exp_avg_sq"}
    step = opt.state[a]["step"]
    assert isinstance(step, autograd.Tensor) and step.ndim == 0 and step.item() == 1.0
    assert step.dtype == autograd.float32
    assert not opt.state[a]["exp_avg"].requires_grad


def test_zero_grad():
    p = _param()
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    opt.zero_grad()
    assert p.grad is None
    (p * p).sum().backward()
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g
    np.testing.assert_array_equal(g.detach().numpy(), [0.0, 0.0])


def test_step_closure_returns_loss():
    p = _param()
    opt = optim.SGD([p], lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        calls.append(1)
        return loss

    with autograd.no_grad():  # the closure still gets grad mode
        loss = opt.step(closure)
    assert loss.item() == 5.0 and calls == [1]
    np.testing.assert_allclose(p.detach().numpy(), [0.8, 1.6])
    assert opt.step() is None


def test_step_bumps_version_counter():
    p = _param()
    y = (p * p).sum()  # saves p for backward
    opt = optim.SGD([p], lr=0.1)
    p.grad = autograd.tensor([1.0, 1.0], dtype=F64)
    v = p._version
    opt.step()
    assert p._version > v
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


# ---- state_dict ----------------------------------------------------------------------------
ALL = [
    ("SGD", {"momentum": 0.9}),
    ("Adam", {"amsgrad": True}),
    ("AdamW", {}),
    ("RMSprop", {"centered": True, "momentum": 0.3}),
    ("Adagrad", {"lr_decay": 0.1}),
    ("NAdam", {}),
    ("RAdam", {}),
    ("Adamax", {}),
    ("Adadelta", {"weight_decay": 0.1}),
    ("Rprop", {}),
    ("ASGD", {"t0": 2}),
    ("Adafactor", {}),
]


def _train(opt, params, steps):
    for _ in range(steps):
        opt.zero_grad()
        mlp_loss(
            params, autograd.tensor(MLP_X, dtype=F64), autograd.tensor(MLP_Y, dtype=F64), _mm
        ).backward()
        opt.step()


def _mlp_params(values=None):
    src = MLP_INIT if values is None else values
    return [autograd.tensor(a.copy(), dtype=F64, requires_grad=True) for a in src]


def test_state_dict_layout():
    params = _mlp_params()
    opt = optim.Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.5}], lr=0.01)
    _train(opt, params, 1)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sorted(sd["state"]) == [0, 1, 2, 3]
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}


@pytest.mark.parametrize("name,kwargs", ALL, ids=[n for n, _ in ALL])
def test_state_dict_round_trip_continues_identically(name, kwargs):
    params = _mlp_params()
    opt = getattr(optim, name)(params, lr=0.01, **kwargs)
    _train(opt, params, 5)
    saved = copy.deepcopy(opt.state_dict())
    snapshot = [p.detach().numpy().copy() for p in params]

    _train(opt, params, 5)
    expected = [p.detach().numpy().copy() for p in params]

    params2 = _mlp_params(snapshot)
    opt2 = getattr(optim, name)(params2, lr=123.0)  # lr comes back from the checkpoint
    pristine = copy.deepcopy(saved)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == 0.01
    _train(opt2, params2, 5)
    for a, b in zip(expected, params2):
        np.testing.assert_array_equal(a, b.detach().numpy())
    # loading copies: training opt2 did not change the saved dict
    for k, st in saved["state"].items():
        for n, v in st.items():
            np.testing.assert_array_equal(v.numpy(), pristine["state"][k][n].numpy())


def test_load_state_dict_accepts_string_keys_and_arrays():
    # what a JSON-based checkpoint hands back: str indices, lists, ndarrays
    params = _mlp_params()
    opt = optim.Adam(params, lr=0.01)
    _train(opt, params, 3)
    sd = opt.state_dict()
    flat = {
        "state": {
            str(k): {n: v.detach().numpy().copy() for n, v in st.items()}
            for k, st in sd["state"].items()
        },
        "param_groups": [
            dict(g, betas=list(g["betas"]), params=[str(i) for i in g["params"]])
            for g in sd["param_groups"]
        ],
    }
    params2 = _mlp_params([p.detach().numpy() for p in params])
    opt2 = optim.Adam(params2, lr=0.01)
    opt2.load_state_dict(flat)
    assert opt2.param_groups[0]["betas"] == (0.9, 0.999)
    assert opt2.state[params2[0]]["step"].item() == 3.0
    _train(opt, params, 2)
    _train(opt2, params2, 2)
    for a, b in zip(params, params2):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_load_state_dict_turns_listed_pairs_back_into_tuples(stepping_optimizers):
    # JSON checkpoints hand back betas / etas / step_sizes / Adafactor's eps as lists
    for name in stepping_optimizers:
        params = _mlp_params()
        opt = getattr(optim, name)(params)
        sd = opt.state_dict()
        pairs = {k for k, v in opt.defaults.items() if isinstance(v, tuple)}
        listed = [
            {k: list(v) if k in pairs else v for k, v in g.items()} for g in sd["param_groups"]
        ]
        opt2 = getattr(optim, name)(_mlp_params())
        opt2.load_state_dict({"state": sd["state"], "param_groups": listed})
        for k in pairs:
            assert opt2.param_groups[0][k] == opt.defaults[k], (name, k)
            assert type(opt2.param_groups[0][k]) is tuple, (name, k)


def test_load_state_dict_errors_leave_optimizer_untouched():
    params = _mlp_params()
    opt = optim.Adam(params, lr=0.01)
    _train(opt, params, 1)
    sd = copy.deepcopy(opt.state_dict())
    other = optim.Adam(params[:2], lr=0.01)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        other.load_state_dict(sd)
    two = optim.Adam([{"params": params[:2]}, {"params": params[2:]}], lr=0.01)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        two.load_state_dict(sd)
    # a buffer of the wrong shape is rejected before anything is changed
    bad = copy.deepcopy(sd)
    bad["state"][0]["exp_avg"] = autograd.zeros(7, dtype=F64)
    fresh = optim.Adam(_mlp_params(), lr=0.5)
    with pytest.raises(ValueError, match="shape"):
        fresh.load_state_dict(bad)
    assert fresh.param_groups[0]["lr"] == 0.5 and len(fresh.state) == 0


def test_load_state_dict_casts_buffers_to_param_dtype():
    p64 = _param()
    opt = optim.Adam([p64], lr=0.1)
    (p64 * p64).sum().backward()
    opt.step()
    p32 = autograd.tensor([1.0, 2.0], requires_grad=True)
    opt32 = optim.Adam([p32], lr=0.1)
    opt32.load_state_dict(opt.state_dict())
    assert opt32.state[p32]["exp_avg"].dtype == autograd.float32
    assert opt32.state[p32]["step"].dtype == autograd.float32


def test_optim_does_not_import_nn():
    import ast
    import pathlib

    root = pathlib.Path(optim.__file__).parent
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            assert not any(n == "nn" or n.startswith("nn.") for n in names), path


@pytest.mark.parametrize(
    "name,kwargs",
    ALL
    + [
        ("SGD", {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1, "maximize": True}),
        ("Adam", {"decoupled_weight_decay": True, "weight_decay": 0.1, "maximize": True}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_blocked_update_equals_whole_array_update(name, kwargs, monkeypatch):
    # The routines cut contiguous arrays into cache-sized blocks; the result must not depend
    # on the block size, and non-contiguous operands (whole-array path) must agree too.
    def run(block, fortran=False):
        monkeypatch.setattr(_inplace, "_BLOCK", block)
        params = _mlp_params()
        opt = getattr(optim, name)(params, lr=0.01, **kwargs)
        for _ in range(4):
            opt.zero_grad()
            mlp_loss(
                params, autograd.tensor(MLP_X, dtype=F64), autograd.tensor(MLP_Y, dtype=F64), _mm
            ).backward()
            if fortran:  # a non-contiguous gradient (e.g. a transposed view)
                for p in params:
                    g = p.grad.numpy()
                    p.grad = autograd.tensor(np.asfortranarray(g), dtype=F64)
            opt.step()
        return [p.detach().numpy().copy() for p in params]

    whole = run(1 << 30)
    for other in (run(4), run(7, fortran=True)):
        for a, b in zip(whole, other):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name,kwargs", ALL, ids=[n for n, _ in ALL])
def test_save_load_through_autograd_save(name, kwargs, tmp_path):
    params = _mlp_params()
    opt = getattr(optim, name)(params, lr=0.01, **kwargs)
    _train(opt, params, 4)
    path = tmp_path / "ckpt.safetensors"
    autograd.save(
        {"params": [p.detach() for p in params], "optim": opt.state_dict(), "epoch": 4}, path
    )
    _train(opt, params, 3)
    expected = [p.detach().numpy().copy() for p in params]

    ckpt = autograd.load(path)
    assert ckpt["epoch"] == 4
    params2 = _mlp_params([t.numpy() for t in ckpt["params"]])
    opt2 = getattr(optim, name)(params2, lr=1.0)
    opt2.load_state_dict(ckpt["optim"])
    _train(opt2, params2, 3)
    for a, b in zip(expected, params2):
        np.testing.assert_array_equal(a, b.detach().numpy())


@pytest.mark.parametrize("config", CONFIGS[::3], ids=_cid)
def test_float32_updates_match_torch(config):
    # float32 parameters: the same gradients fed to both; torch's kernels may fuse a multiply
    # and an add (FMA), so agreement is to a few float32 ulps rather than bit for bit.
    torch = pytest.importorskip("torch")
    name, kwargs, _, lr = config
    values = [a.astype(np.float32) for a in MLP_INIT]
    ours = [autograd.tensor(v.copy(), requires_grad=True) for v in values]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    opt = getattr(optim, name)(ours, lr=lr, **kwargs)
    topt = getattr(torch.optim, name)(theirs, lr=lr, foreach=False, **kwargs)
    x, y = torch.tensor(MLP_X.astype(np.float32)), torch.tensor(MLP_Y.astype(np.float32))
    for _ in range(20):
        topt.zero_grad()
        mlp_loss(theirs, x, y, lambda a, b: a @ b).backward()
        for p, q in zip(ours, theirs):
            p.grad = autograd.tensor(q.grad.numpy().copy())
        topt.step()
        opt.step()
        for p, q in zip(ours, theirs):
            assert p.dtype == autograd.float32
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=0, atol=1e-6)
