"""Losses: PyTorch parity for every loss and reduction (float64 and float32), gradchecks,
stability at extreme logits, and torch's error messages."""

import warnings

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F

RNG = np.random.default_rng(0)
N, C = 5, 4
LOGITS = RNG.normal(size=(N, C)) * 2
LOGITS_3D = RNG.normal(size=(N, C, 3))
TARGET_IDX = np.array([0, 3, 1, 1, 2])
TARGET_IDX_3D = RNG.integers(0, C, size=(N, 3))
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)
REG_IN = RNG.normal(size=(N, 3)) * 2
REG_T = RNG.normal(size=(N, 3))
P01 = 1 / (1 + np.exp(-RNG.normal(size=(N, 3))))
Y01 = (RNG.random(size=(N, 3)) > 0.5).astype(float)
CW = np.array([0.5, 2.0, 1.0, 1.5])

# the (input array, target array, whether the target is differentiable too) the cases share;
# an int target holds class indices
REG = (REG_IN, REG_T, True)
IDX = (LOGITS, TARGET_IDX, False)
PROB = (LOGITS, PROBS, True)
KL = (np.log(PROBS), PROBS[::-1].copy(), True)  # log-probabilities against probabilities
KL_LOG = (np.log(PROBS), np.log(PROBS[::-1]).copy(), True)  # and against log-probabilities

# name, the loss class (one name in nn and torch.nn), its keyword arguments besides the
# reduction (arrays and lists become each library's tensors), then input, target and whether
# the target is differentiable
CASES = [
    ("MSELoss", "MSELoss", {}, *REG),
    ("L1Loss", "L1Loss", {}, *REG),
    ("SmoothL1Loss", "SmoothL1Loss", {"beta": 0.7}, *REG),
    ("SmoothL1Loss_beta0", "SmoothL1Loss", {"beta": 0.0}, *REG),
    ("HuberLoss", "HuberLoss", {"delta": 1.3}, *REG),
    ("CrossEntropy", "CrossEntropyLoss", {}, *IDX),
    ("CrossEntropy_weight_ignore", "CrossEntropyLoss", {"weight": CW, "ignore_index": 1}, *IDX),
    ("CrossEntropy_smoothing", "CrossEntropyLoss", {"label_smoothing": 0.2}, *IDX),
    (
        "CrossEntropy_smoothing_weight_ignore",
        "CrossEntropyLoss",
        {"weight": CW, "label_smoothing": 0.3, "ignore_index": 3},
        *IDX,
    ),
    ("CrossEntropy_3d", "CrossEntropyLoss", {}, LOGITS_3D, TARGET_IDX_3D, False),
    ("CrossEntropy_probs", "CrossEntropyLoss", {}, *PROB),
    (
        "CrossEntropy_probs_weight_smoothing",
        "CrossEntropyLoss",
        {"weight": CW, "label_smoothing": 0.1},
        *PROB,
    ),
    ("NLLLoss", "NLLLoss", {}, *IDX),
    ("NLLLoss_weight_ignore", "NLLLoss", {"weight": CW, "ignore_index": 0}, *IDX),
    ("BCELoss", "BCELoss", {}, P01, Y01, False),
    ("BCELoss_soft", "BCELoss", {"weight": [1.0, 2.0, 0.5]}, P01, P01[::-1].copy(), True),
    ("BCEWithLogits", "BCEWithLogitsLoss", {}, REG_IN, Y01, True),
    (
        "BCEWithLogits_pos_weight",
        "BCEWithLogitsLoss",
        {"pos_weight": [1.0, 3.0, 0.5], "weight": [2.0, 1.0, 1.0]},
        REG_IN,
        P01,
        True,
    ),
    ("KLDivLoss", "KLDivLoss", {}, *KL),
    ("KLDivLoss_log_target", "KLDivLoss", {"log_target": True}, *KL_LOG),
]
REDUCTIONS = ["mean", "sum", "none"]


def _loss(lib, cls_name, kwargs, reduction):
    """``lib.nn.<cls_name>(reduction=reduction, **kwargs)`` (``lib`` is autograd or torch),
    the arrays and lists among ``kwargs`` made ``lib`` tensors."""
    module = nn if lib is autograd else lib.nn
    kw = {k: lib.tensor(v) if isinstance(v, (np.ndarray, list)) else v for k, v in kwargs.items()}
    return getattr(module, cls_name)(reduction=reduction, **kw)


def _target(arr, dtype, lib):
    if arr.dtype.kind == "i":
        return lib.tensor(arr)
    return lib.tensor(arr.astype(dtype), requires_grad=True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,loss,kwargs,x,y,ydiff", CASES, ids=[c[0] for c in CASES])
def test_loss_matches_torch(name, loss, kwargs, x, y, ydiff, reduction, dtype):
    torch = pytest.importorskip("torch")
    ours, theirs = _loss(autograd, loss, kwargs, reduction), _loss(torch, loss, kwargs, reduction)
    ours.to(getattr(autograd, dtype))
    theirs.to(getattr(torch, dtype))
    ax = autograd.tensor(x.astype(dtype), requires_grad=True)
    tx = torch.tensor(x.astype(dtype), requires_grad=True)
    ay, ty = _target(y, dtype, autograd), _target(y, dtype, torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # KLDiv 'mean' warns (like torch)
        a, t = ours(ax, ay), theirs(tx, ty)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a.detach().numpy(), t.detach().numpy(), **tol)
    assert a.shape == tuple(t.shape) and a.dtype == getattr(autograd, dtype)
    g = np.random.default_rng(2).normal(size=tuple(t.shape)).astype(dtype)
    a.backward(autograd.tensor(g))
    t.backward(torch.tensor(g))
    np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), **tol)
    if ydiff and ty.grad is not None:
        np.testing.assert_allclose(ay.grad.numpy(), ty.grad.numpy(), **tol)


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("name,loss,kwargs,x,y,ydiff", CASES, ids=[c[0] for c in CASES])
def test_loss_gradcheck(name, loss, kwargs, x, y, ydiff, reduction):
    loss = _loss(autograd, loss, kwargs, reduction).double()
    ax = autograd.tensor(x, requires_grad=True)
    if y.dtype.kind == "i":
        ay = autograd.tensor(y)
    else:
        ay = autograd.tensor(y, requires_grad=ydiff)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        inputs = (ax, ay)
        assert autograd.gradcheck(loss, inputs)
        assert autograd.gradgradcheck(loss, inputs)


def test_extreme_logits_are_finite():
    x = autograd.tensor([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]], requires_grad=True)
    t = autograd.tensor([1, 0])
    loss = F.cross_entropy(x, t)
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
    assert loss.item() == pytest.approx(2000.0 + np.log(2) / 2, rel=1e-6)
    z = autograd.tensor([1000.0, -1000.0, 1000.0, -1000.0], requires_grad=True)
    y = autograd.tensor([0.0, 1.0, 1.0, 0.0])
    l2 = F.binary_cross_entropy_with_logits(z, y, reduction="none", pos_weight=autograd.tensor(2.0))
    assert l2.tolist() == [1000.0, 2000.0, 0.0, 0.0]
    l2.sum().backward()
    assert np.isfinite(z.grad.numpy()).all()
    # probabilities exactly 0 and 1: BCE clamps its logs at -100 and stays finite
    p = autograd.tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    l3 = F.binary_cross_entropy(p, y, reduction="none")
    assert l3.tolist() == [0.0, 0.0, 100.0, 100.0]
    l3.sum().backward()
    assert np.isfinite(p.grad.numpy()).all()
    lp = F.log_softmax(autograd.tensor([[1000.0, -1000.0]]), 1)
    assert np.isfinite(F.kl_div(lp, autograd.tensor([[1.0, 0.0]]), reduction="sum").item())


def test_cross_entropy_errors():
    with pytest.raises(
        ValueError, match=r"^Expected input batch_size \(4\) to match target batch_size \(5\)\.$"
    ):
        F.cross_entropy(autograd.zeros(4, 3), autograd.tensor([0, 1, 2, 0, 1]))
    with pytest.raises(
        RuntimeError, match="^expected target dtype to be Long or Byte, but got Float$"
    ):
        F.cross_entropy(autograd.zeros(4, 3), autograd.zeros(4))
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        F.cross_entropy(autograd.zeros(2, 3), autograd.tensor([0, 7]))
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        nn.MSELoss(reduction="avg")(autograd.zeros(2), autograd.zeros(2))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(autograd.tensor([1.5]), autograd.tensor([1.0]))


def test_cross_entropy_uint8_target_and_unbatched():
    torch = pytest.importorskip("torch")
    x = RNG.normal(size=(C,))
    a = F.cross_entropy(autograd.tensor(x), autograd.tensor(2))
    t = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(2))
    assert a.item() == pytest.approx(t.item(), rel=1e-12)
    a = F.cross_entropy(autograd.tensor(LOGITS), autograd.tensor(TARGET_IDX.astype(np.uint8)))
    t = torch.nn.functional.cross_entropy(torch.tensor(LOGITS), torch.tensor(TARGET_IDX))
    assert a.item() == pytest.approx(t.item(), rel=1e-12)


def test_all_ignored_mean_is_nan_like_torch():
    loss = F.cross_entropy(autograd.zeros(2, 3), autograd.tensor([-100, -100]))
    assert np.isnan(loss.item())


def test_mse_broadcast_warns():
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(autograd.zeros(3, 1), autograd.zeros(3))


def test_kl_div_batchmean():
    torch = pytest.importorskip("torch")
    lp, p = np.log(PROBS), PROBS[::-1].copy()
    a = F.kl_div(autograd.tensor(lp), autograd.tensor(p), reduction="batchmean")
    t = torch.nn.functional.kl_div(torch.tensor(lp), torch.tensor(p), reduction="batchmean")
    assert a.item() == pytest.approx(t.item(), rel=1e-12)


def test_binary_cross_entropy_refuses_targets_outside_0_1_like_torch():
    # a target of 2 (or nan) gave a loss without a word; torch refuses it
    torch = pytest.importorskip("torch")
    for target in ([0.5, 2.0], [-0.1, 1.0], [float("nan"), 0.0]):
        messages = []
        for lib, F_ in ((autograd, F), (torch, torch.nn.functional)):
            with pytest.raises(RuntimeError) as e:
                F_.binary_cross_entropy(lib.tensor([0.3, 0.6]), lib.tensor(target))
            messages.append(str(e.value))
        assert messages[0] == messages[1] == "all elements of target should be between 0 and 1"
