"""Attention's scaling, mask and softmax in one kernel (autograd/kernels/attention.py) give
what their general path gives: ``x * scale`` (np.multiply), ``where(mask, fill, .)``, then the
softmax kernel; and the VJP: the softmax kernel's VJP, then the mask's and the scaling's.
Compared bit for bit (``tobytes``), on short rows in blocks and the rows after the last
block, long rows, fully masked rows, inf and nan."""

import numpy as np
import pytest

import autograd
import nn
from autograd.kernels import attention, softmax


def _general(x, scale, mask, fill, g):
    dt = x.dtype.type
    z = np.where(mask, dt(fill), np.multiply(x, dt(scale)))
    y = softmax.softmax(z, z.ndim - 1)
    dx = np.where(mask, dt(0.0), softmax.softmax_backward(y, g, z.ndim - 1)) * dt(scale)
    return y, dx


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (2, 6, 6), (3, 5, 70), (1, 1, 3), (9, 7)], ids=str)
def test_masked_softmax_kernel_is_the_scaling_mask_and_softmax_kernels(dtype, shape):
    rng = np.random.default_rng(sum(shape))
    q, c = shape[-2:]
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    x.reshape(-1)[:3] = [np.inf, np.nan, -np.inf]
    mask = np.triu(np.ones((q, c), bool), 1)
    mask[-1] = True  # (a fully masked row: nan, as in eager mode)
    g = rng.standard_normal(shape).astype(dtype)
    with np.errstate(all="ignore"):
        y_general, dx_general = _general(x, 0.3, mask, -np.inf, g)
        y = attention.masked_softmax(x, 0.3, mask, -np.inf)
        dx = attention.masked_softmax_backward(y_general, g, mask, 0.3)
    assert y.dtype == dx.dtype == dtype and y.shape == dx.shape == shape
    assert y.tobytes() == y_general.tobytes()
    assert dx.tobytes() == dx_general.tobytes()


def test_masked_softmax_kernel_with_a_finite_fill_and_no_mask():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 16, 16)).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    for mask in (np.zeros((16, 16), bool), rng.random((16, 16)) < 0.5):
        y_general, dx_general = _general(x, 2.0, mask, -1e4, g)
        assert attention.masked_softmax(x, 2.0, mask, -1e4).tobytes() == y_general.tobytes()
        dx = attention.masked_softmax_backward(y_general, g, mask, 2.0)
        assert dx.tobytes() == dx_general.tobytes()


class _Attention(nn.Module):
    def __init__(self, scale_first=False, learnable=False):
        super().__init__()
        self.qk = nn.Linear(8, 16)
        self.scale_first = scale_first
        self.t = nn.Parameter(autograd.tensor(0.35), requires_grad=learnable)
        self.register_buffer("tril", autograd.tril(autograd.ones(9, 9)))

    def forward(self, x):
        q, k = self.qk(x).split(8, dim=-1)
        s = q @ k.transpose(-2, -1)
        s = self.t * s if self.scale_first else s * self.t
        T = x.shape[1]
        return s.masked_fill(self.tril[:T, :T] == 0, float("-inf")).softmax(-1) @ x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale_first, learnable", [(False, False), (True, False), (False, True)])
def test_compiled_masked_softmax_equals_eager_bit_for_bit(dtype, scale_first, learnable):
    """The plan's one-kernel attention softmax (forward and VJP) against eager mode: the
    loss and every gradient, traced and on the next replays. A learnable scale is expanded
    to the scores' shape (its gradient is a sum): then the steps stay as they are."""
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((3, 7, 8)).astype(dtype)
    results, plans = [], []
    for compiled in (False, True):
        autograd.manual_seed(0)
        model = _Attention(scale_first, learnable).double()
        if dtype == np.float32:
            model = model.float()

        def step(x, model=model):
            model.zero_grad()
            loss = (model(x) ** 2).sum()
            loss.backward()
            return loss.detach()

        fn = autograd.compile(step) if compiled else step
        got = []
        with autograd.backend("numba"):
            for _ in range(3):
                got.append(fn(autograd.tensor(x0))._data)
                got += [p.grad._data.copy() for p in model.parameters() if p.requires_grad]
        results.append(got)
        if compiled:
            plans.append(fn.plan)
    for a, b in zip(*results):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert ("masked_softmax(" in plans[0]) is not learnable  # (a learnable scale: Expand)
    assert ("masked_softmax_grad(" in plans[0]) is not learnable


def test_a_gradient_the_kernel_does_not_take_runs_the_three_vjps(monkeypatch):
    """The plan's branch for a softmax gradient the VJP kernel was not built for (here a
    product's VJP made to return a non-contiguous copy): the softmax's, the mask's and the
    scaling's own VJPs, with eager mode's values bit for bit."""
    from autograd.compiler import plan_backward, steps
    from autograd.ops.linalg import Matmul

    plain = Matmul.backward

    def strided(ctx, g, xp):
        r = plain(ctx, g, xp)
        return tuple(np.asfortranarray(v) if v is not None and v.ndim == 3 else v for v in r)

    monkeypatch.setattr(Matmul, "backward", staticmethod(strided))
    calls = []

    def spy(*args):
        calls.append(args)
        return steps.masked_softmax_grad(*args)

    monkeypatch.setattr(plan_backward, "masked_softmax_grad", spy)
    rng = np.random.default_rng(5)
    x0 = rng.standard_normal((2, 9, 8))
    results = []
    for compiled in (False, True):
        autograd.manual_seed(0)
        model = _Attention().double()

        def step(x, model=model):
            loss = (model(x) ** 2).sum()
            loss.backward()
            return loss.detach()

        fn = autograd.compile(step) if compiled else step
        with autograd.backend("numba"):
            got = [fn(autograd.tensor(x0))._data] if not compiled else []
            if compiled:
                fn(autograd.tensor(x0))  # (traced)
                model.zero_grad()
                got = [fn(autograd.tensor(x0))._data]  # (replayed)
        got += [p.grad._data for p in model.parameters() if p.requires_grad]
        results.append(got)
        plan = fn.plan if compiled else None
    assert plan is not None and "masked_softmax_grad(" in plan and not calls
    for got in results[1:]:
        for a, b in zip(results[0], got):
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
