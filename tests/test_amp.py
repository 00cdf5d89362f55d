"""autograd.amp against torch.amp on the CPU: which ops autocast to bfloat16/float16 and which
to float32 (result dtypes and values for every op jitgrad has on torch's lists), nesting,
decorators and warnings; GradScaler's scale/unscale_/step/update trajectory, skipped steps,
growth/backoff, state_dict and errors, step for step against torch.amp.GradScaler("cpu")."""

import warnings

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
import optim

torch = pytest.importorskip("torch")
BF = autograd.bfloat16

rng = np.random.default_rng(0)
A = rng.standard_normal((4, 4)).astype(np.float32)
IMG = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
W = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
SEQ = rng.standard_normal((2, 3, 4)).astype(np.float32)
TGT = np.array([0, 1, 2, 3])


def _ops(lib, Fn):
    """Each op of torch's CPU autocast lists that jitgrad has, written once for both."""
    t = lambda a: lib.tensor(a)  # noqa: E731
    return {
        # run in the autocast dtype
        "matmul": lambda x: x @ x,
        "mm": lambda x: lib.mm(x, x),
        "bmm": lambda x: lib.bmm(x[None], x[None]),
        "linear": lambda x: Fn.linear(x, x, x[0]),
        "conv1d": lambda x: Fn.conv1d(x[None], x[:, :, None]),
        "conv2d": lambda x: Fn.conv2d(t(IMG).to(x.dtype), t(W).to(x.dtype)),
        "conv_transpose1d": lambda x: Fn.conv_transpose1d(x[None], x[:, :, None]),
        "conv_transpose2d": lambda x: Fn.conv_transpose2d(
            t(IMG).to(x.dtype), t(W).to(x.dtype).transpose(0, 1)
        ),
        "prelu": lambda x: Fn.prelu(x, t(np.array([0.1], np.float32))),
        "sdpa": lambda x: Fn.scaled_dot_product_attention(t(SEQ).to(x.dtype), t(SEQ), t(SEQ)),
        "einsum-contract": lambda x: lib.einsum("ij,jk->ik", x, x),
        "einsum-dot": lambda x: lib.einsum("ij,ij->", x, x),
        "einsum-sum": lambda x: lib.einsum("ij->i", x),
        "einsum-outer": lambda x: lib.einsum("i,j->ij", x[0], x[1]),
        "tensordot": lambda x: lib.tensordot(x, x, dims=1),
        "inner": lambda x: lib.inner(x, x),
        "addmm": lambda x: lib.addmm(x[0], x, x),
        "baddbmm": lambda x: lib.baddbmm(x, x[None], x[None]),
        "addbmm": lambda x: lib.addbmm(x, x[None], x[None]),
        # run in float32
        "mse_loss": lambda x: Fn.mse_loss(x, x * 0),
        "l1_loss": lambda x: Fn.l1_loss(x, x * 0),
        "smooth_l1_loss": lambda x: Fn.smooth_l1_loss(x, x * 0),
        "huber_loss": lambda x: Fn.huber_loss(x, x * 0),
        "cross_entropy": lambda x: Fn.cross_entropy(x, t(TGT)),
        "nll_loss": lambda x: Fn.nll_loss(x, t(TGT)),
        "binary_cross_entropy": lambda x: Fn.binary_cross_entropy(x.sigmoid(), (x > 0).to(x.dtype)),
        "bce_with_logits": lambda x: Fn.binary_cross_entropy_with_logits(x, (x > 0).to(x.dtype)),
        "kl_div": lambda x: Fn.kl_div(x, x.exp()),
        "prod": lambda x: x.prod(),
        "cholesky": lambda x: (
            lib.linalg.cholesky(x @ x.mT + lib.eye(4, dtype=x.dtype))
            if lib is torch
            else lib.cholesky(x @ x.mT + lib.eye(4, dtype=x.dtype))
        ),
        # not on the lists: the input's dtype
        "mv": lambda x: lib.mv(x, x[0]),
        "exp": lambda x: x.exp(),
        "sum": lambda x: x.sum(),
        "addmv": lambda x: lib.addmv(x[0], x, x[1]),
        "addr": lambda x: lib.addr(x, x[0], x[1]),
        "softmax": lambda x: x.softmax(-1),
        "layer_norm": lambda x: Fn.layer_norm(x, (4,)),
        "relu": lambda x: Fn.relu(x),
        "add": lambda x: x + x,
    }


@pytest.mark.parametrize("low", ["bfloat16", "float16"])
def test_op_lists_match_torch(low):
    ours_ops, torch_ops = _ops(autograd, F), _ops(torch, torch.nn.functional)
    ours_low, torch_low = autograd.dtypes.as_dtype(low), getattr(torch, low)
    for name in torch_ops:
        for start in ("float32", low, "float64"):
            if start == "float64" and name in ("prelu", "sdpa", "conv2d", "conv_transpose2d"):
                continue  # these build float32 tensors of their own
            x = autograd.tensor(A).to(autograd.dtypes.as_dtype(start))
            tx = torch.tensor(A).to(getattr(torch, start))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with autograd.amp.autocast("cpu", dtype=ours_low):
                    ours = ours_ops[name](x)
                with torch.autocast("cpu", dtype=torch_low):
                    theirs = torch_ops[name](tx)
            assert ours.dtype.name == str(theirs.dtype)[6:], (name, start, ours.dtype, theirs.dtype)
            tol = 1e-5 if ours.dtype.name in ("float32", "float64") else 3e-2
            np.testing.assert_allclose(
                ours.detach().float().numpy(),
                theirs.detach().float().numpy(),
                rtol=tol,
                atol=tol * 10,
                err_msg=f"{name} from {start}",
            )


def test_modules_and_backward_under_autocast():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(27, 4)
    )
    m = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(27, 4))
    m.load_state_dict({k: autograd.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = rng.standard_normal((5, 2, 5, 5)).astype(np.float32)
    with autograd.amp.autocast("cpu"):
        out = m(autograd.tensor(x))
        loss = F.cross_entropy(
            out, autograd.tensor(TGT[:5] % 4 if False else np.array([0, 1, 2, 3, 0]))
        )
        loss.backward()  # backward inside the region: not autocast
    with torch.autocast("cpu"):
        tout = tm(torch.tensor(x))
        tloss = torch.nn.functional.cross_entropy(tout, torch.tensor([0, 1, 2, 3, 0]))
        tloss.backward()
    assert out.dtype == BF and loss.dtype == autograd.float32
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=2e-2)
    for (name, p), tp in zip(m.named_parameters(), tm.parameters()):
        assert p.grad.dtype == autograd.float32, name  # float32 parameters, float32 grads
        np.testing.assert_allclose(
            p.grad.numpy(), tp.grad.numpy(), rtol=5e-2, atol=5e-2, err_msg=name
        )
    # an LSTM and multi-head attention run their products in bfloat16 too
    with autograd.amp.autocast("cpu"):
        assert nn.LSTM(4, 5, batch_first=True)(autograd.tensor(SEQ))[0].dtype == BF
        mha = nn.MultiheadAttention(4, 2, batch_first=True)
        s = autograd.tensor(SEQ)
        assert mha(s, s, s)[0].dtype == BF


def test_autocast_state_nesting_and_decorator():
    assert not autograd.amp.is_autocast_enabled("cpu")
    with autograd.amp.autocast("cpu", dtype=autograd.float16):
        assert autograd.amp.is_autocast_enabled("cpu")
        assert autograd.amp.get_autocast_dtype("cpu") == autograd.float16
        with autograd.amp.autocast("cpu", enabled=False):
            assert not autograd.amp.is_autocast_enabled()
            assert (autograd.ones(2, 2) @ autograd.ones(2, 2)).dtype == autograd.float32
        assert (autograd.ones(2, 2) @ autograd.ones(2, 2)).dtype == autograd.float16
    assert not autograd.amp.is_autocast_enabled()

    @autograd.amp.autocast("cpu")
    def f(x):
        return x @ x

    assert f(autograd.ones(2, 2)).dtype == BF
    # explicit dtype arguments are not eligible
    with autograd.amp.autocast("cpu"):
        assert autograd.ones(3).prod(dtype=autograd.float64).dtype == autograd.float64


def test_torch_top_level_names():
    # scripts call torch.autocast / torch.is_autocast_enabled / torch.vmap
    with autograd.autocast("cpu", dtype=autograd.float16):
        assert autograd.is_autocast_enabled("cpu") and not autograd.is_autocast_enabled()
        assert autograd.get_autocast_dtype("cpu") == autograd.float16
        assert autograd.is_autocast_cpu_enabled()
    autograd.set_autocast_enabled("cpu", True)
    try:
        assert (autograd.ones(2, 2) @ autograd.ones(2, 2)).dtype == BF
    finally:
        autograd.set_autocast_enabled("cpu", False)
    assert (autograd.ones(2, 2) @ autograd.ones(2, 2)).dtype == autograd.float32
    assert autograd.vmap(lambda r: r.sum())(autograd.ones(3, 2)).tolist() == [2.0, 2.0, 2.0]


def test_docstring_examples():
    import doctest

    res = doctest.testmod(autograd.amp, extraglobs={"autograd": autograd, "nn": nn, "optim": optim})
    assert res.failed == 0 and res.attempted > 5


def test_autocast_warnings_like_torch():
    for kwargs in ({"dtype": autograd.float64}, {"dtype": autograd.float32}):
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            with autograd.amp.autocast("cpu", **kwargs):
                assert not autograd.amp.is_autocast_enabled()
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            with torch.autocast("cpu", dtype=getattr(torch, kwargs["dtype"].name)):
                pass
        assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


# ---- GradScaler ---------------------------------------------------------------------------------
def _mlp(lib):
    r = np.random.default_rng(3)
    ws = [
        r.standard_normal((5, 4)).astype(np.float32) * 0.5,
        r.standard_normal(5).astype(np.float32),
        r.standard_normal((2, 5)).astype(np.float32) * 0.5,
        r.standard_normal(2).astype(np.float32),
    ]
    return [lib.tensor(w, requires_grad=True) for w in ws]


def _loss(params, x, y):
    w1, b1, w2, b2 = params
    h = (x @ w1.t() + b1).tanh()
    return ((h @ w2.t() + b2 - y) ** 2).mean()


def _run_scaler(lib, steps, **kw):
    params = _mlp(lib)
    r = np.random.default_rng(4)
    if lib is torch:
        opt = torch.optim.SGD(params, lr=0.05, momentum=0.9)
        scaler = torch.amp.GradScaler("cpu", **kw)
    else:
        opt = optim.SGD(params, lr=0.05, momentum=0.9)
        scaler = autograd.amp.GradScaler("cpu", **kw)
    trace = []
    for step in range(steps):
        x = lib.tensor(r.standard_normal((8, 4)).astype(np.float32))
        y = lib.tensor(r.standard_normal((8, 2)).astype(np.float32))
        opt.zero_grad()
        scaler.scale(_loss(params, x, y)).backward()
        if step % 3 == 0:  # the documented clipping recipe on some steps
            scaler.unscale_(opt)
        before = params[0].detach().numpy().copy()
        scaler.step(opt)
        stepped = not np.array_equal(before, params[0].detach().numpy())
        scaler.update()
        trace.append(
            (
                scaler.get_scale(),
                stepped,
                scaler.state_dict(),
                [p.detach().numpy().copy() for p in params],
            )
        )
    return trace


@pytest.mark.parametrize(
    "kw",
    [
        {"init_scale": 2.0**127, "growth_interval": 3},
        {"init_scale": 2.0**16, "growth_interval": 2, "growth_factor": 3.0, "backoff_factor": 0.25},
        {"init_scale": 2.0**127, "backoff_factor": 0.3, "growth_interval": 4},
    ],
)
def test_grad_scaler_trajectory_matches_torch(kw):
    ours, theirs = _run_scaler(autograd, 16, **kw), _run_scaler(torch, 16, **kw)
    skipped = 0
    for k, (o, t) in enumerate(zip(ours, theirs)):
        assert o[0] == t[0], f"scale after step {k}: {o[0]} vs {t[0]}"
        assert o[1] == t[1], f"step {k} taken: {o[1]} vs {t[1]}"
        assert o[2] == t[2], f"state_dict after step {k}"
        skipped += not o[1]
        for a, b in zip(o[3], t[3]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"step {k}")
    if kw["init_scale"] > 2.0**100:
        assert skipped > 0  # the case exercises skipped (inf) steps and backoff


def test_grad_scaler_errors_and_state_like_torch():
    def calls(lib, mod_optim, scaler_cls):
        def make():
            p = lib.tensor([1.0, 2.0], requires_grad=True)
            opt = mod_optim.SGD([p], lr=0.1)
            return p, opt, scaler_cls("cpu")

        def after_backward(*calls):
            """A case: a scaled backward, then the scaler methods ``calls`` on the optimizer."""

            def case():
                p, opt, s = make()
                s.scale((p * p).sum()).backward()
                for name in calls:
                    getattr(s, name)(opt)

            return case

        unscale_twice = after_backward("unscale_", "unscale_")
        unscale_after_step = after_backward("step", "unscale_")
        step_twice = after_backward("step", "step")

        def update_without_scale():
            make()[2].update()

        def closure():
            p, opt, s = make()
            s.scale((p * p).sum()).backward()
            s.step(opt, closure=lambda: 0)

        def fp16_grads():
            p = lib.tensor([1.0, 2.0], dtype=lib.float16, requires_grad=True)
            opt = mod_optim.SGD([p], lr=0.1)
            s = scaler_cls("cpu")
            s.scale((p * p).sum()).backward()
            s.unscale_(opt)

        def load_empty():
            scaler_cls("cpu").load_state_dict({})

        def bad_factors():
            scaler_cls("cpu", growth_factor=0.5)

        return [
            unscale_twice,
            unscale_after_step,
            step_twice,
            update_without_scale,
            closure,
            fp16_grads,
            load_empty,
            bad_factors,
        ]

    for ours, theirs in zip(
        calls(autograd, optim, autograd.amp.GradScaler),
        calls(torch, torch.optim, torch.amp.GradScaler),
    ):
        with pytest.raises(Exception) as t:
            theirs()
        with pytest.raises(type(t.value)) as o:
            ours()
        assert str(o.value) == str(t.value), ours.__name__


def test_grad_scaler_state_dict_round_trip_and_disabled(tmp_path):
    s = autograd.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=7)
    p = autograd.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        s.scale((p * p).sum()).backward()
        s.step(opt)
        s.update()
    path = tmp_path / "scaler.safetensors"
    autograd.save(s.state_dict(), path)
    s2 = autograd.amp.GradScaler("cpu")
    s2.load_state_dict(autograd.load(path))
    assert (
        s2.state_dict()
        == s.state_dict()
        == {
            "scale": 1024.0,
            "growth_factor": 2.0,
            "backoff_factor": 0.5,
            "growth_interval": 7,
            "_growth_tracker": 3,
        }
    )
    off = autograd.amp.GradScaler("cpu", enabled=False)
    loss = (p * p).sum()
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {}
    opt.zero_grad()
    loss.backward()
    off.step(opt)
    off.update()


def test_custom_fwd_casts_inputs():
    class Square(autograd.Function):
        @staticmethod
        @autograd.amp.custom_fwd(device_type="cpu", cast_inputs=autograd.float32)
        def forward(ctx, x):
            ctx.save_for_backward(x)
            assert not autograd.amp.is_autocast_enabled()
            return x * x

        @staticmethod
        @autograd.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = autograd.ones(3, dtype=BF, requires_grad=True)
    with autograd.amp.autocast("cpu"):
        y = Square.apply(x)
    assert y.dtype == autograd.float32
    y.sum().backward()
    assert x.grad.dtype == BF and x.grad.tolist() == [2.0, 2.0, 2.0]


def test_recurrent_layers_follow_torch_cpu_autocast():
    """torch's CPU autocast runs LSTM and Elman RNN layers (and rnn_*_cell) in the low dtype
    but leaves GRU, gru_cell and lstm_cell in float32; jitgrad's fused recurrent ops match."""
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    with torch.autocast("cpu"):
        want = {
            name: getattr(torch.nn, name)(4, 5)(torch.tensor(x))[0].dtype
            for name in ("RNN", "LSTM", "GRU")
        }
        want.update(
            {
                name: getattr(torch.nn, name)(4, 5)(torch.tensor(x[0]))[0].dtype
                for name in ("RNNCell", "LSTMCell", "GRUCell")
            }
        )
    with autograd.amp.autocast("cpu"):
        got = {
            name: getattr(nn, name)(4, 5)(autograd.tensor(x))[0].dtype
            for name in ("RNN", "LSTM", "GRU")
        }
        got.update(
            {
                name: getattr(nn, name)(4, 5)(autograd.tensor(x[0]))[0].dtype
                for name in ("RNNCell", "LSTMCell", "GRUCell")
            }
        )
    assert {k: str(v).split(".")[-1] for k, v in got.items()} == {
        k: str(v).split(".")[-1] for k, v in want.items()
    }
