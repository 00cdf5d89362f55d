"""Shared test helpers for comparing with PyTorch: converting inputs, comparing values,
gradients, reprs and error messages (the tests' fixtures are in conftest.py)."""

import numpy as np
import pytest

import autograd

TOL = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=2e-4, atol=2e-5)}


class Const:
    """An input that must not require grad (a mask torch may not even use)."""

    def __init__(self, array):
        self.array = array


def convert(a, dtype, torch, leaves):
    """np float arrays -> (ours, theirs) leaf tensors requiring grad (recorded in
    ``leaves``); Const and other arrays become plain tensors; tuples recurse."""
    if isinstance(a, Const):
        arr = a.array.astype(dtype)
        return autograd.tensor(arr), torch.tensor(arr)
    if isinstance(a, np.ndarray):
        if a.dtype.kind == "f":
            arr = a.astype(dtype)
            o = autograd.tensor(arr, requires_grad=True)
            t = torch.tensor(arr, requires_grad=True)
            leaves.append((o, t))
            return o, t
        return autograd.tensor(a), torch.tensor(a)
    if isinstance(a, tuple):
        pairs = [convert(x, dtype, torch, leaves) for x in a]
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
    return a, a


def flatten(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flatten(o)]
    return [] if out is None else [out]


def compare_outputs_and_grads(
    o_out, t_out, leaves, o_params, t_params, dtype, tol, torch, check_grads=True
):
    """Outputs equal (shape, dtype, values); then backpropagate the same random weighting of
    the outputs through both and compare the gradients of the inputs and parameters."""
    o_out, t_out = flatten(o_out), flatten(t_out)
    assert len(o_out) == len(t_out)
    for o, t in zip(o_out, t_out):
        assert tuple(o.shape) == tuple(t.shape)
        assert o.dtype == getattr(autograd, str(t.dtype).split(".")[1])
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), **tol)
    if not check_grads:
        return o_out
    rng = np.random.default_rng(1)
    o_loss, t_loss = 0, 0
    for o, t in zip(o_out, t_out):
        if not t.dtype.is_floating_point or not t.requires_grad:
            continue
        w = rng.standard_normal(tuple(t.shape)).astype(dtype)
        o_loss = o_loss + (o * autograd.tensor(w)).sum()
        t_loss = t_loss + (t * torch.tensor(w)).sum()
    o_loss.backward()
    t_loss.backward()
    for o, t in leaves:
        if t.grad is None:
            assert o.grad is None or not np.any(o.grad.numpy())
        else:
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), **tol)
    for name, p in o_params.items():
        tg = t_params[name].grad
        if tg is None:
            assert p.grad is None or not np.any(p.grad.numpy()), name
        else:
            assert p.grad is not None, name
            np.testing.assert_allclose(p.grad.numpy(), tg.numpy(), err_msg=name, **tol)
    return o_out


def compare_with_torch(
    ours,
    theirs,
    args=(),
    kwargs=None,
    dtype=np.float64,
    train=True,
    check_grads=True,
    tol=None,
    tols=TOL,
):
    """Copy torch's parameters into ``ours`` by state_dict key (checking key order and
    shapes), run both on the same inputs and compare outputs and gradients."""
    torch = pytest.importorskip("torch")
    kwargs = kwargs or {}
    tol = tol or tols[dtype]
    theirs = theirs.to(torch.float64 if dtype == np.float64 else torch.float32)
    ours = ours.double() if dtype == np.float64 else ours.float()
    ours.train(train)
    theirs.train(train)
    sd = theirs.state_dict()
    ours_sd = ours.state_dict()
    assert list(ours_sd) == list(sd)
    for k, v in sd.items():
        assert tuple(ours_sd[k].shape) == tuple(v.shape), k
    ours.load_state_dict({k: autograd.tensor(v.detach().numpy()) for k, v in sd.items()})
    leaves = []
    o_args, t_args = convert(tuple(args), dtype, torch, leaves)
    o_kw, t_kw = {}, {}
    for k, v in kwargs.items():
        o_kw[k], t_kw[k] = convert(v, dtype, torch, leaves)
    return compare_outputs_and_grads(
        ours(*o_args, **o_kw),
        theirs(*t_args, **t_kw),
        leaves,
        dict(ours.named_parameters()),
        dict(theirs.named_parameters()),
        dtype,
        tol,
        torch,
        check_grads,
    )


def check_module_grads(module, *inputs, **kw):
    """float64 gradcheck of ``module(*inputs)`` w.r.t. the inputs and all parameters (the
    parameters are perturbed in place, which the module sees)."""
    module.double()
    params = tuple(module.parameters())
    n = len(inputs)
    assert autograd.gradcheck(lambda *xs: module(*xs[:n]), tuple(inputs) + params, **kw)


def same_error(ours, theirs, check_type=True):
    """``ours()`` raises the exception type and message that ``theirs()`` (torch) raises
    (only the message with ``check_type=False``: some errors torch raises as RuntimeError
    are an IndexError or a ValueError here)."""
    with pytest.raises(Exception) as t:
        theirs()
    with pytest.raises(type(t.value) if check_type else Exception) as o:
        ours()
    assert str(o.value) == str(t.value).replace("torch.Size", "autograd.Size").replace(
        "<class 'torch.Tensor'>", "<class 'autograd.tensor.Tensor'>"
    )


def assert_values_and_grads(torch, out, ref, x, t, seed=3):
    """``out`` (ours, computed from the leaf ``x``) equals ``ref`` (torch, from ``t``), and
    so do the gradients of a random weighted sum of them."""
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy())
    w = np.random.default_rng(seed).normal(size=tuple(ref.shape))
    (out * autograd.tensor(w, dtype=out.dtype)).sum().backward()
    (ref * torch.tensor(w, dtype=ref.dtype)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def assert_reprs_match_torch(nn, cases):
    """``repr`` of each ``(class name, args, kwargs)`` layer equals torch's (when installed)."""
    try:
        import torch
    except ImportError:
        return
    for name, args, kw in cases:
        assert repr(getattr(nn, name)(*args, **kw)) == repr(getattr(torch.nn, name)(*args, **kw))
