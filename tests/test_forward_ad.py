"""Forward-mode AD (autograd.forward_ad): every registered op's tangents against the
double-backward JVP (float64), which ops still fall back to it, common ops against torch's
forward AD, reverse-over-forward, in-place ops, custom Functions, and torch's API and errors.
"""

import doctest

import numpy as np
import pytest

import autograd
import autograd.forward_ad as fwAD
import nn.functional as F
from autograd.ops import REGISTRY

# torch.func imports torch.jit, which warns that it is deprecated
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# ---- every differentiable op, every sample ------------------------------------------------------
def _samples_with_float_inputs(name):
    samples = REGISTRY[name].samples(np.random.default_rng(1234))
    return [
        k
        for k, s in enumerate(samples)
        if any(
            isinstance(a, np.ndarray) and a.dtype.kind == "f" and i not in s.no_grad_args
            for i, a in enumerate(s.args)
        )
    ]


OPS = [n for n in sorted(REGISTRY) if REGISTRY[n].differentiable and _samples_with_float_inputs(n)]


# ---- the ops that still get their tangents by double backward (no JVP rule) ----------------------
# (a rule-less op works, but each call costs two backward passes; the sweep below would not
# notice a rule that stopped being used, since its reference is the double backward too)
DOUBLE_BACKWARD = {
    "Cumprod",
    "Logcumsumexp",
    "ScatterExtreme",
    "ScatterProd",
    "GRU",
    "LSTM",
    "RNNRelu",
    "RNNTanh",
    "Cholesky",
    "CholeskySolve",
    "LinalgDet",
    "LinalgEigh",
    "LinalgInvEx",
    "LinalgMatrixExp",
    "LinalgPinv",
    "LinalgQr",
    "LinalgSlogdet",
    "LinalgSolveEx",
    "LinalgSvd",
    "SolveTriangular",
}
# ops whose backward has no derivative (as in torch): checked by finite differences
NO_SECOND_DERIVATIVE = {"ctc_loss"}


def _setup(name, k):
    info = REGISTRY[name]
    sample = info.samples(np.random.default_rng(1234))[k]
    rng = np.random.default_rng(99)
    args, tangents = [], {}
    for i, a in enumerate(sample.args):
        if isinstance(a, np.ndarray):
            args.append(autograd.tensor(a))
            if a.dtype.kind == "f" and i not in sample.no_grad_args:
                tangents[i] = rng.standard_normal(a.shape)
        else:
            args.append(a)
    return info, sample, args, tangents


def _call(info, sample, args):
    fn = (
        info.fn
        if info.gradcheck_wrapper is None
        else (lambda *a, **kw: info.gradcheck_wrapper(info.fn, *a, **kw))
    )
    out = fn(*args, **sample.kwargs)
    if info.grad_outputs is not None:
        out = info.grad_outputs(out)
    return (
        [out]
        if isinstance(out, autograd.Tensor)
        else [o for o in _flatten(out) if isinstance(o, autograd.Tensor)]
    )


def _flatten(out):
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _flatten(o)]
    return [out]


def _with_grad(args, tangents):
    """``args`` with the inputs that get a tangent made leaves that require grad."""
    return [a.detach().requires_grad_() if i in tangents else a for i, a in enumerate(args)]


def _reference_jvp(info, sample, xs, tangents, create_graph=False):
    """J t by the double-backward trick, without forward AD: d/du <J^T u, t> (``xs`` from
    ``_with_grad``; ``create_graph``: differentiable again with respect to them)."""
    outs = _call(info, sample, xs)
    diff = [o for o in outs if o.requires_grad and o.dtype.is_floating_point]
    us = [autograd.zeros_like(o).requires_grad_() for o in diff]
    if not diff:
        return [None] * len(outs)
    gs = autograd.grad(diff, [xs[i] for i in tangents], us, create_graph=True, allow_unused=True)
    terms = [
        (g * autograd.tensor(tangents[i])).sum() for g, i in zip(gs, tangents) if g is not None
    ]
    if not terms or not any(t.requires_grad for t in terms):
        refs = iter([None] * len(us))
    else:
        refs = iter(autograd.grad(sum(terms), us, allow_unused=True, create_graph=create_graph))
    return [
        next(refs) if (o.requires_grad and o.dtype.is_floating_point) else _CONSTANT for o in outs
    ]


def _finite_difference_jvp(info, sample, args, tangents, h=1e-6):
    """J t by central differences along t, for ops without a second derivative."""

    def at(sign):
        xs = [
            autograd.tensor(a.numpy() + sign * h * tangents[i]) if i in tangents else a
            for i, a in enumerate(args)
        ]
        return _call(info, sample, xs)

    return [autograd.tensor((p.numpy() - m.numpy()) / (2 * h)) for p, m in zip(at(1), at(-1))]


_CONSTANT = "an output that does not depend differentiably on the inputs"


def _forward_jvp(info, sample, args, tangents):
    with fwAD.dual_level():
        xs = list(args)
        for i, t in tangents.items():
            xs[i] = fwAD.make_dual(args[i], autograd.tensor(t))
        outs = _call(info, sample, xs)
        return outs, [fwAD.unpack_dual(o).tangent for o in outs]


@pytest.mark.parametrize("name", OPS)
def test_tangents_match_double_backward_jvp(name):
    """Pure forward mode (no input requires grad): each output's tangent is J t, for every
    sample of the op; and the tangent came from the op's JVP rule unless it is listed in
    DOUBLE_BACKWARD."""
    for k in _samples_with_float_inputs(name):
        info, sample, args, tangents = _setup(name, k)
        fwAD.double_backward_ops.clear()
        outs, got = _forward_jvp(info, sample, args, tangents)
        assert fwAD.double_backward_ops <= DOUBLE_BACKWARD, (
            f"{name}: no JVP rule for {fwAD.double_backward_ops - DOUBLE_BACKWARD}"
        )
        if name in NO_SECOND_DERIVATIVE:
            want, tol = _finite_difference_jvp(info, sample, args, tangents), 1e-6
        else:
            want, tol = _reference_jvp(info, sample, _with_grad(args, tangents), tangents), 1e-9
        assert len(got) == len(want)
        for o, g, w in zip(outs, got, want):
            if not o.dtype.is_floating_point:
                assert g is None, f"{name}[{k}]: a tangent on a {o.dtype} output"
                continue
            if w is _CONSTANT:  # (a constant output: no tangent, or a zero one)
                assert g is None or not np.any(g.numpy()), f"{name}[{k}]: tangent on a constant"
                continue
            assert g is not None, f"{name}[{k}]: no tangent on a floating output"
            assert tuple(g.shape) == tuple(o.shape)
            w = np.zeros(o.shape) if w is None else w.numpy()
            np.testing.assert_allclose(
                g.numpy(), w, rtol=100 * tol, atol=tol, equal_nan=True, err_msg=f"{name}[{k}]"
            )


def _grads_of_tangents(tangent_outs, xs, tangents, rng):
    """d/dx <tangents of the outputs, w> for a random w: second order, reverse over forward."""
    terms = [
        (t * autograd.tensor(rng.standard_normal(tuple(t.shape)))).sum()
        for t in tangent_outs
        if isinstance(t, autograd.Tensor) and t.requires_grad
    ]
    wrt = [xs[i] for i in tangents]
    if not terms:
        return [np.zeros(tuple(x.shape)) for x in wrt]
    grads = autograd.grad(sum(terms), wrt, allow_unused=True)
    return [np.zeros(tuple(x.shape)) if g is None else g.numpy() for g, x in zip(grads, wrt)]


@pytest.mark.parametrize("name", OPS)
def test_reverse_over_forward_matches_double_backward(name):
    """Inputs that require grad (first sample): the JVP rules run on recorded Tensors, so the
    tangents can be differentiated again; their gradients match the reference's."""
    info, sample, args, tangents = _setup(name, _samples_with_float_inputs(name)[0])
    xs = _with_grad(args, tangents)
    with fwAD.dual_level():
        duals = list(xs)
        for i, t in tangents.items():
            duals[i] = fwAD.make_dual(xs[i], autograd.tensor(t))
        got = [fwAD.unpack_dual(o).tangent for o in _call(info, sample, duals)]
    if name in NO_SECOND_DERIVATIVE:  # (as torch: its backward has no derivative)
        with pytest.raises(RuntimeError, match="derivative for .* is not implemented"):
            _grads_of_tangents(got, xs, tangents, np.random.default_rng(3))
        return
    want = _reference_jvp(info, sample, xs, tangents, create_graph=True)
    for g, w in zip(
        _grads_of_tangents(got, xs, tangents, np.random.default_rng(3)),
        _grads_of_tangents(want, xs, tangents, np.random.default_rng(3)),
    ):
        np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-9, equal_nan=True, err_msg=name)


# ---- against torch's forward AD -------------------------------------------------------------------
# (name, f(lib, F, *inputs), input shapes): lib is autograd or torch, F nn.functional or
# torch.nn.functional; every input gets a random tangent
def _idx(L, values):
    return L.tensor(np.array(values))


TORCH_CASES = [
    (
        "arithmetic",
        lambda L, F, a, b: (a + 2 * b - b / (b.abs() + 1)) * a - a**3 + b.pow(2),
        [(3, 4), (4,)],
    ),
    (
        "unary",
        lambda L, F, x: (
            x.exp()
            + x.sigmoid().log()
            + x.tanh() * x.sin()
            + x.abs().sqrt()
            + L.erf(x)
            + x.clamp(-0.5, 0.5)
        ),
        [(3, 4)],
    ),
    ("matmul", lambda L, F, a, b: a @ b, [(2, 3, 4), (4, 5)]),
    ("linear", lambda L, F, x, w, b: F.linear(x, w, b), [(5, 3), (2, 3), (2,)]),
    (
        "reductions",
        lambda L, F, x: L.cat(
            [
                x.sum(1),
                x.mean(0),
                x.var(1),
                x.std(0),
                x.amax(1),
                x.logsumexp(0),
                x.prod(1),
                x.norm().reshape(1),
                x.max(1).values,
            ]
        ),
        [(3, 4)],
    ),
    ("softmax", lambda L, F, x: F.softmax(x, 1) + F.log_softmax(x, 0), [(3, 4)]),
    (
        "activations",
        lambda L, F, x: (
            F.relu(x)
            + F.gelu(x)
            + F.elu(x)
            + F.leaky_relu(x, 0.1)
            + F.softplus(x)
            + F.silu(x)
            + F.mish(x)
            + F.hardtanh(x)
        ),
        [(3, 4)],
    ),
    (
        "movement",
        lambda L, F, x, y: L.cat(
            [
                x.reshape(-1),
                x.t().flatten(),
                x[::2, 1:].flatten(),
                x.permute(1, 0).flip(0)[_idx(L, [2, 0])].flatten(),
                L.stack([x, y]).unsqueeze(1).sum((1, 2)).flatten(),
                x.gather(1, _idx(L, [[1], [0], [3]])).squeeze(1),
                L.where(x > 0, x, y).flatten(),
                y[0].expand(2, 4).flatten(),
            ]
        ),
        [(3, 4), (3, 4)],
    ),
    (
        "methods",
        lambda L, F, x: L.cat(
            [
                v.reshape(-1)
                for v in [
                    x.T,
                    x.mT.contiguous(),
                    x.float().double(),
                    x.view_as(x.new_zeros(6, 2)),
                    x[:1].expand_as(x),
                    x.repeat(2, 1),
                    x.masked_fill(x > 0, 1.0),
                    x.chunk(2, 1)[1],
                    x.split([1, 2], 0)[1],
                    x.unbind(0)[2],
                    x.narrow(1, 1, 2),
                    x.sort(1).values,
                    x.index_select(0, _idx(L, [2, 0])),
                    x.topk(2).values,
                    x.median(),
                    x[:3, :3].diag(),
                    x[:3, :3].trace(),
                    L.einsum("ij,ij->i", x, x),
                    L.addmm(x[:, :3], x, x.T[:4, :3]),
                    L.lerp(x, 2 * x, 0.3),
                    L.atan2(x, x + 3),
                    F.pad(x, (1, 1)),
                    L.where(x > 0, x, 0.0),
                    F.dropout(x, 0.5, training=False),
                ]
            ]
        ),
        [(3, 4)],
    ),
    (
        "losses",
        lambda L, F, x, y: L.stack(
            [
                F.cross_entropy(x, _idx(L, [1, 0, 3])),
                F.nll_loss(F.log_softmax(x, 1), _idx(L, [2, 2, 0])),
                F.mse_loss(x, y),
                F.l1_loss(x, y),
                F.smooth_l1_loss(x, y),
                F.huber_loss(x, y, delta=0.5),
                F.binary_cross_entropy_with_logits(x, y.sigmoid()),
                F.binary_cross_entropy(x.sigmoid(), y.sigmoid()),
                F.kl_div(F.log_softmax(x, 1), F.softmax(y, 1), reduction="batchmean"),
            ]
        ),
        [(3, 4), (3, 4)],
    ),
    (
        "conv_pool",
        lambda L, F, x, w, b: (
            F.max_pool2d(F.conv2d(x, w, b, padding=1), 2)
            + F.avg_pool2d(F.conv2d(x, w, b, padding=1), 2)
        ),
        [(2, 2, 4, 4), (3, 2, 3, 3), (3,)],
    ),
    (
        "normalization",
        lambda L, F, x, w, b: (
            F.layer_norm(x, (4,), w, b)
            + F.batch_norm(x, None, None, w, b, training=True)
            + F.group_norm(x, 1)
            + F.batch_norm(x, L.tensor(np.full(4, 0.5)), L.tensor(np.full(4, 2.0)), w, b)
        ),
        [(3, 4), (4,), (4,)],
    ),
    ("cumulative", lambda L, F, x: x.cumsum(1) + x.cumprod(1), [(3, 4)]),
    ("linalg", lambda L, F, a: L.linalg.inv(a) * L.linalg.det(a), [(3, 3)]),
    (
        "similarity",
        lambda L, F, x, y: (
            F.normalize(x, dim=1)
            + F.cosine_similarity(x, y)[:, None]
            + F.embedding(_idx(L, [[2, 0, 1, 0]]), y)[0, :3]
        ),
        [(3, 4), (3, 4)],
    ),
    (
        "attention",
        lambda L, F, q, k, v: F.scaled_dot_product_attention(q, k, v),
        [(2, 3, 4), (2, 5, 4), (2, 5, 4)],
    ),
]


def _tangents_of(lib, fw, F, fn, arrays, tangents):
    with fw.dual_level():
        duals = [fw.make_dual(lib.tensor(a), lib.tensor(t)) for a, t in zip(arrays, tangents)]
        primal, tangent = fw.unpack_dual(fn(lib, F, *duals))
        return primal.detach().numpy(), tangent.numpy()


@pytest.mark.parametrize("name,fn,shapes", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_tangents_match_torch(name, fn, shapes):
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as torch_fw

    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(s) + (3 * np.eye(3) if name == "linalg" else 0) for s in shapes]
    tangents = [rng.standard_normal(s) for s in shapes]
    value, tangent = _tangents_of(autograd, fwAD, F, fn, arrays, tangents)
    want_value, want_tangent = _tangents_of(
        torch, torch_fw, torch.nn.functional, fn, arrays, tangents
    )
    np.testing.assert_allclose(value, want_value, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tangent, want_tangent, rtol=1e-9, atol=1e-11)


# ---- the API --------------------------------------------------------------------------------------
def _dual(values, tangent):
    return fwAD.make_dual(autograd.tensor(values), autograd.tensor(tangent))


def test_unpack_dual_names_and_exit_clears_tangents():
    with fwAD.dual_level():
        x = _dual([1.0, 2.0], [1.0, 0.5])
        y = x * x
        unpacked = fwAD.unpack_dual(y)
        assert isinstance(unpacked, tuple) and unpacked._fields == ("primal", "tangent")
        assert unpacked.primal.tolist() == [1.0, 4.0] and unpacked.tangent.tolist() == [2.0, 2.0]
        assert fwAD.unpack_dual(unpacked.primal).tangent is None  # the primal is plain
        assert "tangent=tensor([2., 2.])" in repr(y)
    assert fwAD.unpack_dual(y).tangent is None and fwAD.unpack_dual(x).tangent is None
    assert "tangent" not in repr(y)
    assert fwAD.unpack_dual(3) == (3, None)  # torch passes non-tensors through
    with fwAD.dual_level():  # a new level: the old tangents stay gone
        assert fwAD.unpack_dual(y).tangent is None


def test_make_dual_is_a_view_and_leaves_its_input_alone():
    x = autograd.tensor([1.0, 2.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, autograd.tensor([1.0, 1.0]))
        assert fwAD.unpack_dual(x).tangent is None and d is not x
        x[0] = 5.0  # a view: writes to x show in d
        assert d.tolist() == [5.0, 2.0]


def test_levels_nesting_and_errors_as_torch():
    with pytest.raises(RuntimeError, match="no level exists, make sure to enter_dual_level"):
        _dual([1.0], [1.0])
    with pytest.raises(RuntimeError, match="Dual level must be a positive number"):
        fwAD.exit_dual_level()
    with fwAD.dual_level() as level:
        assert level == 0
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
            fwAD.enter_dual_level()
        x = _dual([1.0, 2.0], [1.0, 1.0])
        with pytest.raises(RuntimeError, match="already has a forward gradient at the same level"):
            fwAD.make_dual(x, autograd.tensor([1.0, 1.0]))
        with pytest.raises(
            RuntimeError,
            match=r"Tensor is of size \[2\] while the given forward "
            r"gradient is of size \[3\]",
        ):
            fwAD.make_dual(autograd.tensor([1.0, 2.0]), autograd.ones(3))
        with pytest.raises(ValueError, match="Expected primal to be floating point"):
            fwAD.make_dual(autograd.tensor([1, 2]), autograd.tensor([1.0, 1.0]))
        with pytest.raises(RuntimeError, match="was not the last one that was created"):
            fwAD.exit_dual_level(level=1)

    @fwAD.dual_level()
    def decorated():
        return fwAD.unpack_dual(_dual([3.0], [1.0]).exp()).tangent.item()

    assert decorated() == pytest.approx(np.exp(3.0))


def test_no_grad_detach_and_integer_outputs():
    with fwAD.dual_level():
        x = _dual([1.0, -2.0, 3.0], [1.0, 1.0, 1.0])
        with autograd.no_grad():  # forward AD is not reverse mode: still on
            assert fwAD.unpack_dual(x * 3).tangent.tolist() == [3.0, 3.0, 3.0]
        assert fwAD.unpack_dual(x.detach()).tangent is None
        assert fwAD.unpack_dual(x.argmax()).tangent is None  # integer: no tangent
        noise = autograd.normal(x, 0.0)  # reparameterised: mean's tangent goes through
        assert fwAD.unpack_dual(noise).tangent.tolist() == [1.0, 1.0, 1.0]
        assert fwAD.unpack_dual((x > 0).float()).tangent is None


def test_in_place_ops_update_the_tangent_like_torch():
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as torch_fw

    def run(lib, fw):
        with fw.dual_level():
            d = fw.make_dual(lib.tensor([0.1, 0.2, 0.3, 0.4]), lib.tensor([1.0, 2.0, 3.0, 4.0]))
            d = d * 1  # (torch: no in-place on a view of a leaf)
            d.mul_(2 * d)  # t <- 4 x t (not d.mul_(d): torch aliases)
            d[0] = 5.0  # constant: tangent 0 there
            v = d[2:]
            v.add_(v.exp())  # through a view: d's tangent changes too
            return [fw.unpack_dual(d).tangent.tolist(), fw.unpack_dual(v).tangent.tolist()]

    got, want = run(autograd, fwAD), run(torch, torch_fw)
    assert got[0][:2] == pytest.approx([0.0, 1.6])
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)


def _zero_a_view(d):
    d[1:].zero_()


IN_PLACE = [
    lambda d: d.zero_(),
    lambda d: d.fill_(2.0),
    lambda d: d.clamp_(max=1.5),
    lambda d: d.sub_(2).relu_(),
    _zero_a_view,
    lambda d: d.copy_(d.new_tensor([5.0, 5.0, 5.0])),
]


def test_in_place_fills_copies_and_clamps_set_the_tangent_like_torch():
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as torch_fw

    def tangents(lib, fw):
        out = []
        for f in IN_PLACE:
            with fw.dual_level():
                d = fw.make_dual(lib.tensor([1.0, 2.0, 3.0]), lib.tensor([1.0, 1.0, 1.0])) * 1
                f(d)
                out.append(fw.unpack_dual(d).tangent.tolist())
        return out

    assert tangents(autograd, fwAD) == tangents(torch, torch_fw)


def test_reverse_over_forward_gives_the_hessian_vector_product():
    x = autograd.tensor([0.5, -1.0, 2.0], dtype=autograd.float64, requires_grad=True)
    v = autograd.tensor([1.0, 2.0, -1.0], dtype=autograd.float64)
    with fwAD.dual_level():
        y = (fwAD.make_dual(x, v) ** 3).sum() + fwAD.make_dual(x, v).softmax(0)[0]
        jvp = fwAD.unpack_dual(y).tangent
    assert jvp.requires_grad
    (hvp,) = autograd.grad(jvp, x)
    want = autograd.functional.hvp(lambda t: (t**3).sum() + t.softmax(0)[0], x.detach(), v)[1]
    np.testing.assert_allclose(hvp.numpy(), want.numpy(), rtol=1e-12)


class _Cube(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_forward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        raise AssertionError("not used")

    @staticmethod
    def jvp(ctx, t):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * t


class _NoJvp(_Cube):
    jvp = autograd.Function.jvp  # (the default: raises)


def test_bfloat16_tangents_are_bfloat16_like_torch():
    with fwAD.dual_level():
        x = fwAD.make_dual(
            autograd.tensor([1.0, 2.0], dtype=autograd.bfloat16),
            autograd.ones(2, dtype=autograd.bfloat16),
        )
        tangent = fwAD.unpack_dual((x.exp() * x).sum()).tangent
    assert tangent.dtype == autograd.bfloat16 and tangent.item() == 27.5  # (torch's value)


def test_custom_function_jvp():
    with fwAD.dual_level():
        x = _dual([1.0, 2.0], [1.0, 0.5])
        assert fwAD.unpack_dual(_Cube.apply(x)).tangent.tolist() == [3.0, 6.0]
        with pytest.raises(NotImplementedError, match="You must implement the jvp function"):
            _NoJvp.apply(x)


def test_docstring_examples():
    result = doctest.testmod(fwAD, extraglobs={"autograd": autograd})
    assert result.failed == 0 and result.attempted > 0


def test_an_op_without_rule_or_second_derivative_names_itself(monkeypatch):
    from autograd.ops.ctc import CtcLoss

    monkeypatch.setattr(CtcLoss, "jvp", None)  # (so the double backward is tried)
    with fwAD.dual_level():
        lp = fwAD.make_dual(
            autograd.randn(4, 1, 3, dtype=autograd.float64).log_softmax(2),
            autograd.randn(4, 1, 3, dtype=autograd.float64),
        )
        with pytest.raises(
            RuntimeError, match="Trying to use forward AD with CtcLoss that does not support it"
        ):
            F.ctc_loss(lp, autograd.tensor([[1, 2]]), [4], [2])


def test_compiled_functions_run_eagerly_under_forward_ad():
    f = autograd.compile(lambda x: (x * x).sum())
    x = autograd.tensor([1.0, 2.0])
    f(x), f(x)  # (traced, then replayed)
    with fwAD.dual_level():
        y = f(fwAD.make_dual(x, autograd.tensor([1.0, 1.0])))
        assert fwAD.unpack_dual(y).tangent.item() == 6.0
