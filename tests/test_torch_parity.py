"""Every registered op and sample, against PyTorch (skipped when torch is not installed).

Forward values and input gradients are compared in float64 (tight) and float32.
"""

import numpy as np
import pytest

import autograd
from autograd.ops import REGISTRY

torch = pytest.importorskip("torch")

CASES = []
for _name in sorted(REGISTRY):
    _info = REGISTRY[_name]
    if _info.torch_fn is False:
        continue
    for _k, _s in enumerate(_info.samples(np.random.default_rng(1234))):
        CASES.append(pytest.param(_name, _k, id=f"{_name}-{_k}"))


def _convert(sample, dtype, lib):
    args = []
    for i, a in enumerate(sample.args):
        if isinstance(a, np.ndarray):
            arr = a.astype(dtype) if a.dtype.kind == "f" else a
            rg = a.dtype.kind == "f" and i not in sample.no_grad_args
            if lib == "torch":
                t = torch.tensor(arr, requires_grad=rg)
            else:
                t = autograd.tensor(arr, requires_grad=rg)
            args.append(t)
        else:
            args.append(a)
    return args


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res += _flat(o)
        return res
    return [out]


@pytest.mark.parametrize("name,k", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_torch(name, k, dtype):
    info = REGISTRY[name]
    sample = info.samples(np.random.default_rng(1234))[k]
    ours_in = _convert(sample, dtype, "ours")
    theirs_in = _convert(sample, dtype, "torch")
    # float arrays given as keywords (cov's aweights ...) are cast like the positional ones:
    # torch_array_kwargs does it for torch, and a float64 weight would promote our result
    kwargs = {
        k: v.astype(dtype) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v
        for k, v in sample.kwargs.items()
    }
    ours = info.fn(*ours_in, **kwargs)
    if info.torch_fn is None and info.torch_function(torch) is not None:
        theirs = info.torch_function(torch)(*theirs_in, **kwargs)
    elif info.torch_fn is None:  # a Tensor method only in torch (expand, view, ...)
        theirs = getattr(theirs_in[0], name)(*theirs_in[1:], **kwargs)
    else:
        theirs = info.torch_fn(torch, *theirs_in, **kwargs)
    o_list = [o for o in _flat(ours) if isinstance(o, autograd.Tensor)]
    t_list = [t for t in _flat(theirs) if isinstance(t, torch.Tensor)]
    assert len(o_list) == len(t_list)
    tol = dict(rtol=1e-7, atol=1e-9) if dtype == np.float64 else dict(rtol=2e-4, atol=2e-5)
    for o, t in zip(o_list, t_list):
        assert tuple(o.shape) == tuple(t.shape), f"{name}: shape {o.shape} vs torch {t.shape}"
        assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (
            f"{name}: dtype {o.dtype} vs torch {t.dtype}"
        )
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), equal_nan=True, **tol)
    if not info.differentiable:
        return
    diff_o = [o for o in o_list if o.requires_grad]
    diff_t = [t for t in t_list if t.requires_grad]
    if not diff_o:
        return
    rng = np.random.default_rng(5)
    weights = [rng.standard_normal(tuple(o.shape)).astype(dtype) for o in diff_o]
    loss_o = sum((o * autograd.tensor(w)).sum() for o, w in zip(diff_o, weights))
    loss_t = sum((t * torch.tensor(w)).sum() for t, w in zip(diff_t, weights))
    ins_o = [a for a in ours_in if isinstance(a, autograd.Tensor) and a.requires_grad]
    ins_t = [a for a in theirs_in if isinstance(a, torch.Tensor) and a.requires_grad]
    g_o = autograd.grad(loss_o, ins_o, allow_unused=True)
    g_t = torch.autograd.grad(loss_t, ins_t, allow_unused=True)
    for a, b in zip(g_o, g_t):
        if a is None or b is None:
            assert (a is None or not np.any(a.numpy())) and (b is None or not b.any())
            continue
        np.testing.assert_allclose(a.numpy(), b.numpy(), equal_nan=True, **tol)
