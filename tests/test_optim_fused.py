"""The numba backend's fused optimizer updates agree with the NumPy reference routines.

The kernels apply the reference's operations in the same order and dtype, so agreement is
bit for bit (``assert_array_equal``), in float32 and float64, over many steps, and with
inf/nan/huge gradients. Runs under ``NUMBA_DISABLE_JIT=1`` too (the kernels as Python).
"""

import numpy as np
import pytest

pytest.importorskip("numba")

import autograd
import optim
from optim import _functional as F

CONFIGS = [
    ("Adam", {}),
    ("Adam", {"amsgrad": True, "weight_decay": 0.1}),
    ("Adam", {"maximize": True}),
    ("Adam", {"betas": (0.3, 0.9)}),  # beta1 < 0.5: the other side of torch's lerp
    ("AdamW", {"weight_decay": 0.05}),
    ("AdamW", {"amsgrad": True}),
    ("SGD", {}),
    ("SGD", {"weight_decay": 1e-2, "maximize": True}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "nesterov": True, "weight_decay": 1e-2}),
    ("SGD", {"momentum": 0.5, "dampening": 0.3, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"momentum": 0.9}),
    ("RMSprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1, "maximize": True}),
    ("RMSprop", {"alpha": 0.3, "centered": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr_decay": 0.01, "weight_decay": 0.1}),
    ("Adagrad", {"maximize": True, "initial_accumulator_value": 0.5, "eps": 1e-6}),
]


def _run(name, kwargs, dtype, backend, steps=25):
    """``steps`` optimizer steps on two parameters; the gradients are a NumPy function of
    the parameters (``tanh(3 p) + noise``), so the test does not depend on the engine."""
    rng = np.random.default_rng(0)
    w = autograd.tensor(rng.standard_normal((7, 5)).astype(dtype), requires_grad=True)
    b = autograd.tensor(rng.standard_normal(5).astype(dtype), requires_grad=True)
    opt = getattr(optim, name)([w, b], lr=0.01, **kwargs)
    with autograd.backend(backend):
        for _ in range(steps):
            for p in (w, b):
                a = p.detach().numpy()
                p.grad = autograd.tensor(
                    (np.tanh(3 * a) + rng.standard_normal(a.shape) * 0.1).astype(dtype)
                )
            opt.step()
    return w.detach().numpy().copy(), b.detach().numpy().copy()


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{k}" for n, k in CONFIGS])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_update_matches_numpy_reference(name, kwargs, dtype):
    ref = _run(name, kwargs, dtype, "numpy")
    fused = _run(name, kwargs, dtype, "numba")
    for r, f in zip(ref, fused):
        assert f.dtype == dtype
        np.testing.assert_array_equal(f, r)
    assert not np.array_equal(ref[0], _run(name, kwargs, dtype, "numpy", steps=1)[0])


# ---- the functional routines on raw arrays: extreme values, odd sizes ------------------
def _grads(rng, n, dtype, step):
    """Gradients with a few extreme entries (huge, tiny, inf, nan) at fixed places."""
    g = rng.standard_normal(n) * 10.0 ** rng.integers(-3, 3, n)
    if n >= 8:
        g[:8] = [
            1e30,
            -1e30,
            1e-30,
            0.0,
            -0.0,
            np.inf if step == 3 else 1.0,
            np.nan if step == 5 else -1.0,
            1e4,
        ]
    return g.astype(dtype)


# each routine's fixed hyper-parameters (the rest come from ROUTINES)
HYPER = {
    "adam": dict(lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8),
    "sgd": dict(lr=1e-2),
    "rmsprop": dict(lr=1e-2, alpha=0.99, eps=1e-8),
    "adagrad": dict(lr=1e-2, eps=1e-10),
}


def _state(name, n, dtype):
    """The state lists ``F.<name>`` takes after params and grads, for one parameter of size n."""

    def buf(fill=0.0):
        return [np.full(n, fill, dtype)]

    step = [np.array(0.0, np.float32)]
    if name == "sgd":
        return [[None]]  # the momentum buffer, created by the first step
    if name == "adagrad":
        return [buf(0.1), step]  # sum, step
    # adam: exp_avg, exp_avg_sq, max_exp_avg_sq; rmsprop: square_avg, grad_avg, momentum_buffer
    return [buf(), buf(), buf(), step]


def _routine(name, n, dtype, opts):
    """A closure doing one step of ``F.<name>`` on arrays of size ``n``; returns the parameter
    and the state arrays."""
    rng = np.random.default_rng(1)
    p = rng.standard_normal(n).astype(dtype)
    states = _state(name, n, dtype)
    count = [0]

    def step():
        count[0] += 1
        g = _grads(rng, n, dtype, count[0])
        getattr(F, name)([p], [g], *states, **HYPER[name], **opts)
        return [p] + [a for [a] in states if isinstance(a, np.ndarray) and a.ndim]

    return step


ROUTINES = [
    ("adam", dict(amsgrad=True, weight_decay=0.1, maximize=False)),
    ("adam", dict(amsgrad=False, weight_decay=0.1, maximize=True, decoupled_weight_decay=True)),
    ("sgd", dict(momentum=0.9, dampening=0.1, weight_decay=1e-3, nesterov=False, maximize=False)),
    ("sgd", dict(momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=True, maximize=True)),
    ("sgd", dict(momentum=0.0, dampening=0.0, weight_decay=0.1, nesterov=False, maximize=True)),
    ("rmsprop", dict(weight_decay=0.01, momentum=0.9, centered=True, maximize=False)),
    ("rmsprop", dict(weight_decay=0.0, momentum=0.0, centered=False, maximize=True)),
    ("rmsprop", dict(weight_decay=0.01, momentum=0.5, centered=False, maximize=False)),
    ("rmsprop", dict(weight_decay=0.0, momentum=0.0, centered=True, maximize=False)),
    ("adagrad", dict(weight_decay=0.01, lr_decay=1e-3, maximize=False)),
]


@pytest.mark.parametrize(
    "name,opts", ROUTINES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ROUTINES)]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 1, 37, 1000])
def test_functional_routines_bitwise_with_extremes(name, opts, dtype, n):
    """inf/nan/1e30 gradients propagate identically (overflow to inf, nan), no warnings."""
    ref_step, fused_step = _routine(name, n, dtype, opts), _routine(name, n, dtype, opts)
    for _ in range(7):
        with autograd.backend("numpy"), np.errstate(all="ignore"):  # the reference may warn
            ref = ref_step()
        with autograd.backend("numba"):
            fused = fused_step()
        for r, f in zip(ref, fused):
            np.testing.assert_array_equal(f, r)
    if n >= 8:
        assert not np.isfinite(ref[0]).all()  # the extremes really reached the parameters


def test_non_contiguous_gradient_falls_back_to_numpy():
    p_ref, p_fused = np.ones(6), np.ones(6)
    g = np.arange(12.0)[::2]  # a strided view: no kernel, the NumPy blocks run instead
    for p, backend in ((p_ref, "numpy"), (p_fused, "numba")):
        with autograd.backend(backend):
            F.adagrad(
                [p],
                [g],
                [np.zeros(6)],
                [np.array(0.0)],
                lr=0.1,
                weight_decay=0.0,
                lr_decay=0.0,
                eps=1e-10,
                maximize=False,
            )
    np.testing.assert_array_equal(p_fused, p_ref)
    assert not np.array_equal(p_ref, np.ones(6))


PATHS = [
    ("Adam", {}, "adam_update"),
    ("Adam", {"amsgrad": True}, "adam_amsgrad_update"),
    ("SGD", {}, "sgd_update"),
    ("SGD", {"momentum": 0.9}, "sgd_momentum_update"),
    ("RMSprop", {}, "rmsprop_update"),
    ("RMSprop", {"momentum": 0.5}, "rmsprop_momentum_update"),
    ("RMSprop", {"centered": True}, "rmsprop_centered_update"),
    ("RMSprop", {"centered": True, "momentum": 0.5}, "rmsprop_centered_momentum_update"),
    ("Adagrad", {}, "adagrad_update"),
]


@pytest.mark.parametrize("name,kwargs,kernel", PATHS, ids=[p[2] for p in PATHS])
def test_numba_backend_really_takes_the_fused_path(monkeypatch, name, kwargs, kernel):
    from autograd.kernels import optim as kopt

    calls = []
    real = getattr(kopt, kernel)
    monkeypatch.setattr(kopt, kernel, lambda *a: calls.append(1) or real(*a))
    _run(name, kwargs, np.float32, "numba", steps=2)
    assert len(calls) == 4  # 2 parameters x 2 steps
    calls.clear()
    _run(name, kwargs, np.float32, "numpy", steps=2)
    assert calls == []


def test_parallel_build_gives_the_same_bits(monkeypatch):
    """The prange build (``set_num_threads(2)``) of the Adam kernel: each element is its
    own iteration, so the result is bit for bit the serial one. (Parallel builds are not
    cached and take seconds to compile: Adam only; the others share its loop shape.)"""
    from autograd.kernels import optim as K
    from autograd.kernels import parallel

    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(1001).astype(np.float32) for _ in range(4)]
    arrays[3] = np.abs(arrays[3])
    par = [a.copy() for a in arrays]
    args = (0.9, 0.999, 1e-2, 0.1, 1e-8, 0.3, 1e-2, True, False)
    K.adam_update(*arrays, *args)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_SIZE", 0)  # small arrays take the parallel build
    old = parallel.get_num_threads()
    parallel.set_num_threads(2)
    try:
        K.adam_update(*par, *args)
    finally:
        parallel.set_num_threads(old)
    for s, p in zip(arrays, par):
        np.testing.assert_array_equal(p, s)


def _check_mixed_params(seed, run):
    """``run(params, grads)`` (steps of a routine, with fresh state) on parameters the
    kernels take and, in between, ones they do not (a strided gradient, float16): on the
    numba backend every parameter ends bit for bit where the numpy backend puts it."""
    rng = np.random.default_rng(seed)
    dtypes = (np.float32, np.float32, np.float16, np.float64, np.float32)
    shapes = ((5,), (3, 4), (6,), (7,), (2, 2))
    inits = [rng.standard_normal(s).astype(d) for s, d in zip(shapes, dtypes)]
    grads = [rng.standard_normal(s).astype(d) for s, d in zip(shapes, dtypes)]
    grads[1] = np.asfortranarray(grads[1])  # not C-contiguous: no kernel for this one
    results = {}
    for backend in ("numpy", "numba"):
        params = [p.copy() for p in inits]
        with autograd.backend(backend):
            run(params, grads)
        results[backend] = params
    for ours, ref, init in zip(results["numba"], results["numpy"], inits):
        assert ours.dtype == ref.dtype
        np.testing.assert_array_equal(ours, ref)
        assert not np.array_equal(ours, init)


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_kernel_looked_up_once_still_sends_each_parameter_its_own_way(amsgrad, decoupled):
    # one kernel lookup per call (foreach-style): parameters the kernel does not take in
    # between ones it does still take the NumPy path
    hyper = dict(beta1=0.9, beta2=0.999, lr=0.01, weight_decay=0.1, eps=1e-8, maximize=False)

    def run(params, grads):
        state = [[np.zeros_like(p) for p in params] for _ in range(3)]
        steps = [np.array(0.0) for _ in params]
        for _ in range(2):
            F.adam(
                params,
                grads,
                *state,
                steps,
                amsgrad=amsgrad,
                decoupled_weight_decay=decoupled,
                **hyper,
            )

    _check_mixed_params(3, run)


# the other routines that look their kernel module up once per call: (routine, its state
# lists after params and grads, given the parameters; its keyword arguments)
def _lookup_once_cases():
    def bufs(params, k):
        return [[np.zeros_like(p) for p in params] for _ in range(k)]

    def steps(params):
        return [[np.array(0.0) for _ in params]]

    def no_bufs(params):
        return [[None] * len(params)]  # SGD's momentum buffers, created by the first step

    sgd = dict(lr=0.01, weight_decay=0.1, maximize=True)
    rms = dict(lr=0.01, alpha=0.9, eps=1e-8, weight_decay=0.1, maximize=False)
    ada = dict(lr=0.01, weight_decay=0.1, maximize=False, lr_decay=0.01, eps=1e-10)
    return [
        ("sgd", no_bufs, dict(sgd, momentum=0.9, dampening=0.1, nesterov=False)),
        ("sgd", no_bufs, dict(sgd, momentum=0.9, dampening=0.0, nesterov=True)),
        ("sgd", no_bufs, dict(sgd, momentum=0.0, dampening=0.0, nesterov=False)),
        ("rmsprop", lambda ps: bufs(ps, 3) + steps(ps), dict(rms, momentum=0.0, centered=False)),
        ("rmsprop", lambda ps: bufs(ps, 3) + steps(ps), dict(rms, momentum=0.5, centered=False)),
        ("rmsprop", lambda ps: bufs(ps, 3) + steps(ps), dict(rms, momentum=0.0, centered=True)),
        ("rmsprop", lambda ps: bufs(ps, 3) + steps(ps), dict(rms, momentum=0.5, centered=True)),
        ("adagrad", lambda ps: bufs(ps, 1) + steps(ps), ada),
    ]


@pytest.mark.parametrize("case", range(8))
def test_other_kernels_looked_up_once_still_send_each_parameter_its_own_way(case):
    # as the Adam test above, for SGD (with and without momentum), RMSprop's four kernels
    # and Adagrad
    name, state_of, opts = _lookup_once_cases()[case]

    def run(params, grads):
        state = state_of(params)
        for _ in range(3):  # (SGD's first step creates the momentum buffers)
            getattr(F, name)(params, grads, *state, **opts)

    _check_mixed_params(4, run)
