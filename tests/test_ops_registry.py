"""Registry-driven op tests: every registered op, every sample.

For each op: forward vs its NumPy reference (float64 and float32), gradients by finite
differences (gradcheck, float64), second-order gradients (gradgradcheck), float32
gradients vs float64 gradients, output/gradient dtypes, and the public bindings.
"""

import importlib

import numpy as np
import pytest

import autograd
from autograd.ops import REGISTRY

OPS = sorted(REGISTRY)
# Cases are built by applicability at collection time, so nothing is skipped at run time:
# forward cases per supported dtype; gradient cases only for samples with a floating input
# that requires grad, of ops that are differentiable (and claim second order, for gradgrad).
SAMPLE_CASES, FORWARD_CASES, DIFF_CASES, GRADGRAD_CASES = [], [], [], []
for _name in OPS:
    _info = REGISTRY[_name]
    for _k, _s in enumerate(_info.samples(np.random.default_rng(1234))):
        _id = f"{_name}-{_k}"
        SAMPLE_CASES.append(pytest.param(_name, _k, id=_id))
        for _dt in (np.float64, np.float32):
            if np.dtype(_dt).name in _info.dtypes:
                FORWARD_CASES.append(pytest.param(_name, _k, _dt, id=f"{np.dtype(_dt).name}-{_id}"))
        _has_grad_input = any(
            isinstance(a, np.ndarray) and a.dtype.kind == "f" and i not in _s.no_grad_args
            for i, a in enumerate(_s.args)
        )
        if _info.differentiable and _has_grad_input:
            DIFF_CASES.append(pytest.param(_name, _k, id=_id))
            if _info.gradgrad:
                GRADGRAD_CASES.append(pytest.param(_name, _k, id=_id))


def _sample(name, k):
    info = REGISTRY[name]
    return info, info.samples(np.random.default_rng(1234))[k]


def _to_tensors(sample, dtype, requires_grad):
    args = []
    for i, a in enumerate(sample.args):
        if isinstance(a, np.ndarray):
            arr = a.astype(dtype) if a.dtype.kind == "f" else a
            t = autograd.tensor(arr)
            if requires_grad and a.dtype.kind == "f" and i not in sample.no_grad_args:
                t.requires_grad_(True)
            args.append(t)
        else:
            args.append(a)
    return args


def _cast_ref_args(sample, dtype):
    return [
        a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
        for a in sample.args
    ]


def _outputs(out):
    if isinstance(out, autograd.Tensor):
        return [out]
    return [o for o in out if isinstance(o, autograd.Tensor)]


def _ref_outputs(ref):
    if isinstance(ref, (tuple, list)):
        return [np.asarray(r) for r in ref]
    return [np.asarray(ref)]


def test_registry_not_empty():
    assert len(REGISTRY) > 10


@pytest.mark.parametrize("name", OPS)
def test_op_has_samples_and_bindings(name):
    info = REGISTRY[name]
    assert info.samples(np.random.default_rng(0)), f"{name} has no samples"
    namespace = importlib.import_module(info.namespace)
    assert getattr(namespace, info.name, None) is info.fn, (
        f"{info.namespace}.{info.name} is not the registered fn"
    )
    if info.method:
        assert callable(getattr(autograd.Tensor, info.name, None)), f"Tensor.{info.name} missing"


@pytest.mark.parametrize("name,k,dtype", FORWARD_CASES)
def test_forward_matches_reference(name, k, dtype):
    info, sample = _sample(name, k)
    out = info.fn(*_to_tensors(sample, dtype, False), **sample.kwargs)
    ref = info.ref(*_cast_ref_args(sample, dtype), **sample.kwargs)
    outs, refs = _outputs(out), _ref_outputs(ref)
    assert len(outs) == len(refs)
    for o, r in zip(outs, refs):
        assert o.shape == r.shape, f"{name}: shape {o.shape} vs reference {r.shape}"
        if r.dtype.kind == "f":
            assert o._data.dtype == np.dtype(dtype) or o._data.dtype == r.dtype, (
                f"{name}: dtype {o.dtype} for {np.dtype(dtype)} input"
            )
            tol = (1e-10, 1e-10) if dtype == np.float64 else (info.rtol32, info.atol32)
            np.testing.assert_allclose(o._data, r, rtol=tol[0], atol=tol[1], equal_nan=True)
        else:
            np.testing.assert_array_equal(o._data, r)


def _diff_sample(name, k):
    return _sample(name, k)


def _fn_of_tensors(info, sample, args):
    tensor_pos = [i for i, a in enumerate(args) if isinstance(a, autograd.Tensor)]

    def f(*ts):
        full = list(args)
        for i, t in zip(tensor_pos, ts):
            full[i] = t
        if info.gradcheck_wrapper is not None:
            out = info.gradcheck_wrapper(info.fn, *full, **sample.kwargs)
        else:
            out = info.fn(*full, **sample.kwargs)
        if info.grad_outputs is not None:
            out = info.grad_outputs(out)
        return out

    return f, [args[i] for i in tensor_pos]


@pytest.mark.parametrize("name,k", DIFF_CASES)
def test_gradcheck(name, k):
    info, sample = _diff_sample(name, k)
    f, ts = _fn_of_tensors(info, sample, _to_tensors(sample, np.float64, True))
    assert autograd.gradcheck(f, tuple(ts), eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("name,k", GRADGRAD_CASES)
def test_gradgradcheck(name, k):
    info, sample = _diff_sample(name, k)
    f, ts = _fn_of_tensors(info, sample, _to_tensors(sample, np.float64, True))
    assert autograd.gradgradcheck(f, tuple(ts), eps=1e-6, atol=1e-4, rtol=1e-3)


@pytest.mark.parametrize("name,k", GRADGRAD_CASES)
def test_create_graph_grads_match_plain_grads(name, k):
    """The VJP run on Tensors (create_graph=True) gives the same first derivative as the
    ordinary one. gradgradcheck cannot see a wrong one: it compares the recorded backward
    with finite differences of that same backward."""
    info, sample = _diff_sample(name, k)
    f, ts = _fn_of_tensors(info, sample, _to_tensors(sample, np.float64, True))
    wrt = [t for t in ts if t.requires_grad]
    grads = []
    for create_graph in (False, True):
        outs = [o for o in _outputs(f(*ts)) if o.requires_grad and o.dtype.is_floating_point]
        rng = np.random.default_rng(11)
        loss = sum((o * autograd.tensor(rng.standard_normal(o.shape))).sum() for o in outs)
        gs = autograd.grad(loss, wrt, allow_unused=True, create_graph=create_graph)
        grads.append([None if g is None else g.detach().numpy().copy() for g in gs])
    for plain, recorded in zip(*grads):
        if plain is None or recorded is None:
            assert plain is None or not np.any(plain)
            assert recorded is None or not np.any(recorded)
        else:
            np.testing.assert_allclose(recorded, plain, rtol=1e-9, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("name,k", DIFF_CASES)
def test_float32_grads_match_float64(name, k):
    info, sample = _diff_sample(name, k)
    grads = {}
    for dtype in (np.float64, np.float32):
        f, ts = _fn_of_tensors(info, sample, _to_tensors(sample, dtype, True))
        outs = [o for o in _outputs(f(*ts)) if o.requires_grad and o.dtype.is_floating_point]
        assert outs, f"{name} is registered as differentiable but no output requires grad"
        rng = np.random.default_rng(7)
        total = None
        for o in outs:
            w = autograd.tensor(rng.standard_normal(o.shape).astype(dtype))
            term = (o * w).sum()
            total = term if total is None else total + term
        gs = autograd.grad(total, [t for t in ts if t.requires_grad], allow_unused=True)
        for t, g in zip([t for t in ts if t.requires_grad], gs):
            if g is not None:
                assert g.dtype == t.dtype, f"{name}: grad dtype {g.dtype} for input {t.dtype}"
        grads[dtype] = [None if g is None else g._data for g in gs]
    for g64, g32 in zip(grads[np.float64], grads[np.float32]):
        if g64 is None:
            assert g32 is None
            continue
        np.testing.assert_allclose(
            g32, g64, rtol=max(info.rtol32, 1e-3), atol=max(info.atol32, 1e-3)
        )


@pytest.mark.parametrize("name,k,dtype", FORWARD_CASES)
def test_numba_backend_matches_numpy_reference(name, k, dtype):
    """Every op, forward and gradient, gives the same result on both backends (ops with a
    Numba kernel are compared kernel vs NumPy; the others trivially agree)."""
    pytest.importorskip("numba")
    info, sample = _sample(name, k)
    results = {}
    for backend in ("numpy", "numba"):
        with autograd.backend(backend):
            args = _to_tensors(sample, dtype, info.differentiable)
            outs = _outputs(info.fn(*args, **sample.kwargs))
            vals = [o.detach().numpy().copy() for o in outs]
            grads = []
            diff = [o for o in outs if o.requires_grad and o.dtype.is_floating_point]
            ins = [a for a in args if isinstance(a, autograd.Tensor) and a.requires_grad]
            if diff and ins:
                rng = np.random.default_rng(3)
                loss = sum(
                    (o * autograd.tensor(rng.standard_normal(o.shape).astype(dtype))).sum()
                    for o in diff
                )
                grads = [
                    None if g is None else g.numpy().copy()
                    for g in autograd.grad(loss, ins, allow_unused=True)
                ]
        results[backend] = (vals, grads)
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=2e-6, atol=1e-6)
    if info.backend_tol is not None:  # kernels that accumulate in another order
        tol = dict(zip(("rtol", "atol"), info.backend_tol[np.dtype(dtype).name]))
    for a, b in zip(results["numpy"][0], results["numba"][0]):
        np.testing.assert_allclose(b, a, equal_nan=True, **tol)
    for a, b in zip(results["numpy"][1], results["numba"][1]):
        if a is None:
            assert b is None
        else:
            np.testing.assert_allclose(b, a, equal_nan=True, **tol)
