"""CTC loss against PyTorch. torch's gradient with respect to ``log_probs`` carries the term
``exp(log_probs)`` of a fused log-softmax (see autograd/ops/ctc.py), so values and
gradients are compared through ``log_softmax`` of the logits, the way CTC is used; the
registry tests check our gradient with respect to the log-probabilities themselves by
finite differences, and the forward against a brute-force sum over alignments."""

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F

torch = pytest.importorskip("torch")


def _compare(logits, targets, in_len, tg_len, dtype=np.float64, tensors=False, **kw):
    """Loss and logits-gradient of ours and torch's, for the same random output weights."""
    x = logits.astype(dtype)
    ours_x = autograd.tensor(x, requires_grad=True)
    theirs_x = torch.tensor(x, requires_grad=True)
    conv_o = (lambda v: autograd.tensor(np.asarray(v))) if tensors else (lambda v: v)
    conv_t = (lambda v: torch.tensor(np.asarray(v))) if tensors else (lambda v: v)
    o = F.ctc_loss(
        ours_x.log_softmax(-1), autograd.tensor(targets), conv_o(in_len), conv_o(tg_len), **kw
    )
    t = torch.nn.functional.ctc_loss(
        theirs_x.log_softmax(-1), torch.tensor(targets), conv_t(in_len), conv_t(tg_len), **kw
    )
    tol = dict(rtol=1e-9, atol=1e-10) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)
    assert tuple(o.shape) == tuple(t.shape) and o.dtype == getattr(autograd, np.dtype(dtype).name)
    np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), **tol)
    w = np.random.default_rng(2).standard_normal(tuple(t.shape)).astype(dtype)
    (o * autograd.tensor(w)).sum().backward()
    (t * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), equal_nan=True, **tol)
    return o


BATCH = dict(
    targets=np.array([[1, 2, 2, 3], [5, 5, 5, 0], [1, 0, 0, 0], [2, 3, 4, 5]]),
    in_len=(12, 10, 7, 3),
    tg_len=(4, 3, 1, 4),
)  # the last one is impossible


@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_matches_torch_every_reduction(reduction, zero_infinity, rng):
    o = _compare(
        rng.normal(size=(12, 4, 6)),
        BATCH["targets"],
        BATCH["in_len"],
        BATCH["tg_len"],
        reduction=reduction,
        zero_infinity=zero_infinity,
    )
    if reduction == "none":
        assert np.isinf(o.detach().numpy()[3]) != zero_infinity


def test_float32_tensor_lengths_blank_and_concatenated_targets(rng):
    logits = rng.normal(size=(9, 3, 5))
    _compare(
        logits,
        np.array([[0, 1, 1], [2, 3, 0], [1, 0, 0]]),
        (9, 8, 5),
        (3, 2, 1),
        dtype=np.float32,
        tensors=True,
        blank=4,
        reduction="none",
    )
    _compare(logits, np.array([1, 2, 2, 3, 1]), (9, 8, 5), (2, 2, 1), reduction="sum")
    _compare(
        logits, np.array([[1, 2], [3, 3], [4, 1]]), (9, 0, 5), (2, 0, 0), reduction="none"
    )  # empty input and targets


def test_unbatched_and_long_sequences(rng):
    _compare(rng.normal(size=(7, 4)), np.array([1, 3, 3]), 7, 3, tensors=True, reduction="none")
    _compare(rng.normal(size=(7, 4)), np.array([1, 3, 3]), (7,), (3,))
    # 300 frames: probabilities far below the smallest double are fine in log space
    o = _compare(
        rng.normal(size=(300, 2, 20)) * 3,
        rng.integers(1, 20, (2, 60)),
        (300, 250),
        (60, 45),
        reduction="none",
    )
    assert np.all(o.detach().numpy() > 700)


def test_module_and_target_forms(rng):
    lp = autograd.tensor(rng.normal(size=(6, 2, 4))).log_softmax(2)
    layer = nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    assert repr(layer) == repr(torch.nn.CTCLoss(reduction="sum", zero_infinity=True))
    padded = layer(lp, autograd.tensor([[1, 2], [3, 0]]), (6, 5), (2, 1))
    concat = layer(lp, autograd.tensor([1, 2, 3]), autograd.tensor([6, 5]), autograd.tensor([2, 1]))
    floats = layer(lp, autograd.tensor([[1.0, 2.0], [3.0, 0.0]]), (6, 5), (2, 1))
    np.testing.assert_allclose(padded.numpy(), concat.numpy(), rtol=1e-12)
    np.testing.assert_allclose(floats.numpy(), padded.numpy(), rtol=1e-12)


def test_second_derivative_is_refused_like_torch(rng):
    lp = autograd.tensor(rng.normal(size=(5, 1, 3)), requires_grad=True)
    loss = F.ctc_loss(lp, autograd.tensor([[1, 2]]), (5,), (2,))
    (g,) = autograd.grad(loss, lp, create_graph=True)  # the first derivative is recorded
    (g_plain,) = autograd.grad(F.ctc_loss(lp, autograd.tensor([[1, 2]]), (5,), (2,)), lp)
    np.testing.assert_allclose(g.detach().numpy(), g_plain.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="derivative for ctc_loss_backward is not implemented"):
        autograd.grad(g.sum(), lp)


ERRORS = [
    dict(tg_len=(4, 3, 5, 4)),  # a target length beyond the targets
    dict(in_len=(13, 10, 7, 3)),  # an input length beyond T
    dict(in_len=(12, 10, 7)),  # one length per sample
    dict(tg_len=(4, 3, 1)),
    dict(in_len=(12, -1, 7, 3)),
    dict(tg_len=(4, -1, 1, 4)),
    dict(blank=6),
    dict(targets=np.array([1, 2, 3])),  # concatenated, too short
    dict(targets=BATCH["targets"][None]),
    dict(reduction="x"),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_match_torch(k, rng):
    args = dict(BATCH, blank=0, reduction="mean")
    args.update(ERRORS[k])
    lp = rng.normal(size=(12, 4, 6))

    def call(lib, f):
        return f.ctc_loss(
            lib.tensor(lp),
            lib.tensor(args["targets"]),
            args["in_len"],
            args["tg_len"],
            blank=args["blank"],
            reduction=args["reduction"],
        )

    with pytest.raises(Exception) as expected:
        call(torch, torch.nn.functional)
    with pytest.raises((RuntimeError, ValueError)) as ours:
        call(autograd, F)
    # the same words; torch names its internal check function, we name ctc_loss
    assert str(ours.value) == str(expected.value).replace("ctc_loss_allocate_outputs", "ctc_loss")


def test_own_errors():
    lp = autograd.zeros(4, 2, 3)
    with pytest.raises(IndexError, match="target class 3 is out of range for 3 classes"):
        F.ctc_loss(lp, autograd.tensor([[1, 3], [1, 1]]), (4, 4), (2, 2))  # torch reads garbage
    with pytest.raises(RuntimeError, match="must not be empty"):
        F.ctc_loss(autograd.zeros(0, 2, 3), autograd.tensor([[1], [1]]), (0, 0), (1, 1))
    with pytest.raises(TypeError, match="input_lengths must be a tuple of ints"):
        F.ctc_loss(lp, autograd.tensor([[1], [1]]), (4.0, 4.0), (1, 1))
