"""The numba backend's fused optimizer updates agree with the NumPy reference routines."""
import numpy as np
import pytest

pytest.importorskip("numba")

import autograd  # noqa: E402
import optim  # noqa: E402

CONFIGS = [
    ("Adam", {}), ("Adam", {"amsgrad": True, "weight_decay": 0.1}), ("Adam", {"maximize": True}),
    ("AdamW", {"weight_decay": 0.05}), ("AdamW", {"amsgrad": True}),
    ("SGD", {"momentum": 0.9}), ("SGD", {"momentum": 0.9, "nesterov": True, "weight_decay": 1e-2}),
    ("SGD", {"momentum": 0.5, "dampening": 0.3, "maximize": True}),
]


def _run(name, kwargs, dtype, backend, steps=20):
    rng = np.random.default_rng(0)
    w = autograd.tensor(rng.standard_normal((7, 5)).astype(dtype), requires_grad=True)
    b = autograd.tensor(rng.standard_normal(5).astype(dtype), requires_grad=True)
    opt = getattr(optim, name)([w, b], lr=0.01, **kwargs)
    x = autograd.tensor(rng.standard_normal((16, 7)).astype(dtype))
    with autograd.backend(backend):
        for _ in range(steps):
            opt.zero_grad()
            ((x @ w + b).tanh() ** 2).mean().backward()
            opt.step()
    return w.detach().numpy().copy(), b.detach().numpy().copy()


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{k}" for n, k in CONFIGS])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-6)])
def test_fused_update_matches_numpy_reference(name, kwargs, dtype, tol):
    ref = _run(name, kwargs, dtype, "numpy")
    fused = _run(name, kwargs, dtype, "numba")
    for r, f in zip(ref, fused):
        assert f.dtype == dtype
        np.testing.assert_allclose(f, r, rtol=tol, atol=tol)
    assert not np.array_equal(ref[0], _run(name, kwargs, dtype, "numpy", steps=1)[0])


def test_numba_backend_really_takes_the_fused_path(monkeypatch):
    from autograd.kernels import optim as kopt
    calls = []
    real = kopt.adam_update
    monkeypatch.setattr(kopt, "adam_update", lambda *a: calls.append(1) or real(*a))
    _run("Adam", {}, np.float32, "numba", steps=2)
    assert len(calls) == 4  # 2 parameters x 2 steps
    calls.clear()
    _run("Adam", {}, np.float32, "numpy", steps=2)
    assert calls == []
