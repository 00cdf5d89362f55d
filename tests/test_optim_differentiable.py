"""differentiable=True: the optimizer step is recorded by autograd, so the new parameters and
state are differentiable functions of the old parameters, the gradients and the state (the
setting of torch's own differentiable-optimizer tests: one step from given tensors). Values
and vector-Jacobian products against torch.optim with differentiable=True, gradcheck on
ours, and the same numbers as the ordinary step."""

import numpy as np
import pytest

import autograd
import optim

torch = pytest.importorskip("torch")

# optimizer, hyper-parameters, the state tensors that carry gradients (and their range)
CONFIGS = [
    ("SGD", {"lr": 0.5}, {}),
    ("SGD", {"lr": 0.5, "momentum": 0.9, "nesterov": True}, {"momentum_buffer": "real"}),
    (
        "SGD",
        {"lr": 0.5, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.1, "maximize": True},
        {"momentum_buffer": "real"},
    ),
    ("Adam", {"lr": 0.1}, {"exp_avg": "real", "exp_avg_sq": "pos"}),
    (
        "Adam",
        {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1},
        {"exp_avg": "real", "exp_avg_sq": "pos", "max_exp_avg_sq": "pos"},
    ),
    (
        "Adam",
        {"lr": 0.1, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {"exp_avg": "real", "exp_avg_sq": "pos"},
    ),
    ("AdamW", {"lr": 0.1}, {"exp_avg": "real", "exp_avg_sq": "pos"}),
    ("RMSprop", {"lr": 0.1}, {"square_avg": "pos"}),
    (
        "RMSprop",
        {"lr": 0.1, "centered": True, "momentum": 0.5, "weight_decay": 0.1},
        {"square_avg": "pos", "grad_avg": "small", "momentum_buffer": "real"},
    ),
    ("Adagrad", {"lr": 0.5, "lr_decay": 0.1, "weight_decay": 0.1}, {"sum": "pos"}),
    ("Adamax", {"lr": 0.1, "weight_decay": 0.1}, {"exp_avg": "real", "exp_inf": "pos"}),
    ("NAdam", {"lr": 0.1}, {"exp_avg": "real", "exp_avg_sq": "pos"}),
    (
        "NAdam",
        {"lr": 0.1, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {"exp_avg": "real", "exp_avg_sq": "pos"},
    ),
    ("RAdam", {"lr": 0.1}, {"exp_avg": "real", "exp_avg_sq": "pos"}),
    (
        "RAdam",
        {"lr": 0.1, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {"exp_avg": "real", "exp_avg_sq": "pos"},
    ),
    ("Adadelta", {"lr": 1.0, "weight_decay": 0.1}, {"square_avg": "pos", "acc_delta": "pos"}),
    ("Rprop", {"lr": 0.1}, {"prev": "real", "step_size": "pos"}),
    ("ASGD", {"lr": 0.1, "lambd": 0.1}, {"ax": "real"}),
]
# state that carries no gradient: step counters and scalars, as torch stores them. (ASGD's
# averaging branch, mu < 1, is not compared: torch's differentiable ASGD multiplies by the
# state tensor mu and then overwrites it in place, so its own backward fails there.)
SCALARS = {"NAdam": {"mu_product": 0.8}, "ASGD": {"eta": 0.05, "mu": 1.0}}


def _inputs(tensor_state, seed):
    r = np.random.default_rng(seed)
    draw = {
        "real": lambda: r.standard_normal(6),
        "pos": lambda: r.uniform(0.5, 2.0, 6),
        "small": lambda: r.uniform(-0.3, 0.3, 6),
    }
    return (
        r.standard_normal(6),
        r.standard_normal(6),
        {k: draw[v]() for k, v in tensor_state.items()},
    )


def _step(lib, name, kwargs, p0, grad, state, scalars):
    """One differentiable step; returns the new parameter and the state tensors that carry
    gradients (torch's _diff_fn)."""
    p = p0.clone()
    p.grad = grad
    mod = torch.optim if lib is torch else optim
    opt = getattr(mod, name)([p], differentiable=True, **kwargs)
    f64 = torch.float64 if lib is torch else autograd.float64
    st = {"step": lib.tensor(3.0, dtype=f64)} if name != "SGD" else {}
    st.update({k: lib.tensor(v, dtype=f64) for k, v in scalars.items()})
    st.update({k: v.clone() for k, v in state.items()})
    opt.state[p].update(st)
    opt.step()
    return (p,) + tuple(opt.state[p][k] for k in state)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c[0] + "-" + "-".join(c[1]))
def test_step_and_its_gradients_match_torch(config):
    name, kwargs, tensor_state = config
    scalars = SCALARS.get(name, {})
    p0, g0, s0 = _inputs(tensor_state, 0)
    T = lambda a: torch.tensor(a, requires_grad=True)  # noqa: E731
    A = lambda a: autograd.tensor(a, dtype=autograd.float64, requires_grad=True)  # noqa: E731
    t_in = [T(p0), T(g0)] + [T(v) for v in s0.values()]
    a_in = [A(p0), A(g0)] + [A(v) for v in s0.values()]
    t_out = _step(torch, name, kwargs, t_in[0], t_in[1], dict(zip(s0, t_in[2:])), scalars)
    a_out = _step(autograd, name, kwargs, a_in[0], a_in[1], dict(zip(s0, a_in[2:])), scalars)
    r = np.random.default_rng(1)
    cot = [r.standard_normal(6) for _ in t_out]
    for a, b in zip(a_out, t_out):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    t_grads = torch.autograd.grad(t_out, t_in, [torch.tensor(c) for c in cot], allow_unused=True)
    a_grads = autograd.grad(
        a_out, a_in, [autograd.tensor(c, dtype=autograd.float64) for c in cot], allow_unused=True
    )
    for k, (a, b) in enumerate(zip(a_grads, t_grads)):
        b = np.zeros(6) if b is None else b.numpy()
        a = np.zeros(6) if a is None else a.numpy()
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10, err_msg=f"input {k}")

    def f(*inputs):
        return _step(
            autograd, name, kwargs, inputs[0], inputs[1], dict(zip(s0, inputs[2:])), scalars
        )

    if name != "Rprop":  # (sign() and clamp kinks: checked against torch above)
        assert autograd.gradcheck(f, tuple(A(v) for v in [p0, g0, *s0.values()]))


def test_same_numbers_as_the_ordinary_step():
    from test_optim import MLP_INIT, MLP_X, MLP_Y, mlp_loss

    x, y = autograd.tensor(MLP_X), autograd.tensor(MLP_Y)
    for name, kwargs, _ in CONFIGS + [("ASGD", {"lr": 0.1, "t0": 1, "lambd": 0.1}, {})]:
        runs = []
        for differentiable in (False, True):
            params = [
                autograd.tensor(a.copy(), dtype=autograd.float64, requires_grad=True)
                for a in MLP_INIT
            ]
            if differentiable:  # recorded in-place updates need non-leaves
                params = [p.clone() for p in params]
            opt = getattr(optim, name)(params, differentiable=differentiable, **kwargs)
            for _ in range(3):
                grads = autograd.grad(mlp_loss(params, x, y, lambda a, b: a @ b), params)
                for p, g in zip(params, grads):
                    p.grad = g
                opt.step()
            runs.append([p.detach().numpy().copy() for p in params])
        for a, b in zip(*runs):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=name)


def test_non_leaf_parameters_need_differentiable():
    p = autograd.tensor([1.0], requires_grad=True).clone()
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([p], lr=0.1)
    assert optim.SGD([p], lr=0.1, differentiable=True).defaults["differentiable"] is True
