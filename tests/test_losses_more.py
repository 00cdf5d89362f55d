"""The margin, embedding and likelihood losses of issue 16 as modules, against PyTorch: the
same attributes, repr and state_dict; after copying torch's state, the same values and
input gradients for every reduction; torch's errors for bad input; the legacy
``size_average`` / ``reduce`` arguments. (The functional forms are registered ops, also
checked by the registry tests.)"""

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from torch_compare import Const, compare_with_torch, same_error


def _x(rng, *shape):
    return rng.standard_normal(shape)


def _signs(rng, *shape):
    return Const(rng.choice([-1.0, 1.0], shape))


def _scores(rng, n, c):
    """Scores whose pairwise differences stay away from the hinges."""
    return rng.permutation(n * c).reshape(n, c) * 0.37 + 0.05


# (class, ctor kwargs, inputs(rng)); every case runs with each reduction
CASES = [
    ("CosineEmbeddingLoss", dict(margin=0.2), lambda r: (_x(r, 4, 3), _x(r, 4, 3), _signs(r, 4))),
    ("MarginRankingLoss", dict(margin=0.1), lambda r: (_x(r, 5), _x(r, 5) + 0.05, _signs(r, 5))),
    ("HingeEmbeddingLoss", dict(margin=2.0), lambda r: (np.abs(_x(r, 6)) + 0.1, _signs(r, 6))),
    ("SoftMarginLoss", {}, lambda r: (_x(r, 3, 4), _signs(r, 3, 4))),
    (
        "MultiLabelSoftMarginLoss",
        {},
        lambda r: (_x(r, 3, 4), Const(r.integers(0, 2, (3, 4)) * 1.0)),
    ),
    (
        "MultiMarginLoss",
        dict(p=2, margin=0.7),
        lambda r: (_scores(r, 3, 4) * 0.3, np.array([0, 3, 1])),
    ),
    (
        "MultiLabelMarginLoss",
        {},
        lambda r: (_scores(r, 2, 4) * 0.2, np.array([[3, 0, -1, 1], [1, 1, 2, -1]])),
    ),
    (
        "TripletMarginLoss",
        dict(margin=2.0, p=1.5, swap=True),
        lambda r: (_x(r, 4, 3), _x(r, 4, 3), _x(r, 4, 3)),
    ),
    (
        "TripletMarginWithDistanceLoss",
        dict(margin=3.0),
        lambda r: (_x(r, 4, 3), _x(r, 4, 3), _x(r, 4, 3)),
    ),
    (
        "GaussianNLLLoss",
        dict(full=True),
        lambda r: (_x(r, 3, 2), _x(r, 3, 2), r.uniform(0.5, 2, (3, 1))),
    ),
    ("PoissonNLLLoss", dict(full=True), lambda r: (_x(r, 4), Const(r.uniform(0.2, 4, 4)))),
    (
        "PoissonNLLLoss",
        dict(log_input=False),
        lambda r: (r.uniform(0.5, 2, 4), Const(r.poisson(2.0, 4) * 1.0)),
    ),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}{c[1]}" for c in CASES])
def test_loss_module_matches_torch(case, reduction, rng):
    torch = pytest.importorskip("torch")
    name, kw, make = case
    ours = getattr(nn, name)(reduction=reduction, **kw)
    theirs = getattr(torch.nn, name)(reduction=reduction, **kw)
    assert repr(ours) == repr(theirs)
    public = {k: v for k, v in vars(theirs).items() if not k.startswith("_")}
    assert {k: getattr(ours, k) for k in public} == public
    compare_with_torch(ours, theirs, make(rng))


def test_weighted_losses_match_torch(rng):
    torch = pytest.importorskip("torch")
    w = rng.uniform(0.5, 2.0, 4)
    for name, inputs in (
        ("MultiMarginLoss", (_scores(rng, 3, 4) * 0.3, np.array([0, 3, 1]))),
        ("MultiLabelSoftMarginLoss", (_x(rng, 3, 4), Const(_x(rng, 3, 4)))),
    ):
        ours = getattr(nn, name)(weight=autograd.tensor(w))
        theirs = getattr(torch.nn, name)(weight=torch.tensor(w))
        assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
        compare_with_torch(ours, theirs, inputs)


def test_triplet_with_a_custom_distance_matches_torch(rng):
    torch = pytest.importorskip("torch")
    ours = nn.TripletMarginWithDistanceLoss(
        distance_function=lambda a, b: 1 - F.cosine_similarity(a, b), margin=0.5, swap=True
    )
    theirs = torch.nn.TripletMarginWithDistanceLoss(
        distance_function=lambda a, b: 1 - torch.nn.functional.cosine_similarity(a, b),
        margin=0.5,
        swap=True,
    )
    compare_with_torch(ours, theirs, (_x(rng, 5, 3), _x(rng, 5, 3), _x(rng, 5, 3)))


def test_gaussian_nll_clamped_var_gradient_is_torchs(rng):
    """torch clamps var at eps in place, without recording the clamp: the value is clamped
    but the gradient still flows to the small variance."""
    torch = pytest.importorskip("torch")
    var = np.array([1e-9, 0.5, 3.0])
    compare_with_torch(
        nn.GaussianNLLLoss(eps=1e-3),
        torch.nn.GaussianNLLLoss(eps=1e-3),
        (_x(rng, 3), _x(rng, 3), var),
    )
    compare_with_torch(
        nn.GaussianNLLLoss(), torch.nn.GaussianNLLLoss(), (_x(rng, 3), _x(rng, 3), 0.25)
    )  # a float variance


def test_legacy_size_average_and_reduce(rng):
    torch = pytest.importorskip("torch")
    x1, x2, y = _x(rng, 4), _x(rng, 4), rng.choice([-1.0, 1.0], 4)
    for size_average, reduce in ((False, None), (None, False), (True, True)):
        kw = dict(size_average=size_average, reduce=reduce)
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            ours = F.margin_ranking_loss(
                autograd.tensor(x1), autograd.tensor(x2), autograd.tensor(y), **kw
            )
        theirs = torch.nn.functional.margin_ranking_loss(
            torch.tensor(x1), torch.tensor(x2), torch.tensor(y), **kw
        )
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
        layer = nn.SoftMarginLoss(**kw)
        assert layer.reduction == torch.nn.SoftMarginLoss(**kw).reduction


ERRORS = [
    lambda L, F: F.cosine_embedding_loss(L.zeros(2, 3), L.zeros(2, 3), L.ones(2, 1)),
    lambda L, F: F.cosine_embedding_loss(L.zeros(2, 3), L.zeros(2, 3), L.tensor(1.0)),
    lambda L, F: F.cosine_embedding_loss(L.zeros(3), L.zeros(3), L.ones(2)),
    lambda L, F: F.margin_ranking_loss(L.zeros(2), L.zeros(2), L.zeros(2), reduction="x"),
    lambda L, F: F.triplet_margin_loss(L.zeros(2, 3), L.zeros(2, 3), L.zeros(3)),
    lambda L, F: F.triplet_margin_with_distance_loss(
        L.zeros(2, 3), L.zeros(2, 3), L.zeros(2, 3), margin=0
    ),
    lambda L, F: F.multi_margin_loss(L.zeros(2, 3), L.zeros(2).long(), p=3),
    lambda L, F: F.multi_margin_loss(L.zeros(2, 3), L.tensor([0, 3])),
    lambda L, F: F.multi_margin_loss(L.zeros(2, 3), L.tensor([0, 1, 1])),
    lambda L, F: F.multi_margin_loss(L.zeros(2, 3), L.tensor([0, 1]), weight=L.ones(2)),
    lambda L, F: F.multi_margin_loss(L.zeros(2, 0), L.tensor([0, 1])),
    lambda L, F: F.multi_margin_loss(L.zeros(2, 3), L.zeros(2)),
    lambda L, F: F.multilabel_margin_loss(L.tensor([[0.1, 0.2]]), L.tensor([[3, 0]])),
    lambda L, F: F.multilabel_margin_loss(L.tensor([[0.1, 0.2]]), L.tensor([[0, 1, 1]])),
    lambda L, F: F.multilabel_margin_loss(L.zeros(2, 3, 1), L.zeros(2, 3, 1).long()),
    lambda L, F: F.gaussian_nll_loss(L.zeros(2, 3), L.zeros(2, 3), -L.ones(2, 3)),
    lambda L, F: F.gaussian_nll_loss(L.zeros(2, 3), L.zeros(2, 3), L.ones(3, 3)),
    lambda L, F: F.gaussian_nll_loss(L.zeros(2, 3), L.zeros(2, 3), L.ones(2, 3), reduction="x"),
    lambda L, F: F.poisson_nll_loss(L.zeros(2, 3), L.zeros(2, 3), reduction="x"),
    lambda L, F: F.multilabel_soft_margin_loss(L.zeros(()), L.zeros(())),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_match_torch(k):
    torch = pytest.importorskip("torch")
    call, torch_F = ERRORS[k], torch.nn.functional
    same_error(lambda: call(autograd, F), lambda: call(torch, torch_F), check_type=False)


@pytest.mark.parametrize(
    "name,kw",
    [
        ("MultiMarginLoss", dict(p=3)),
        ("TripletMarginLoss", dict(margin=0)),
        ("TripletMarginWithDistanceLoss", dict(margin=-1.0)),
    ],
)
def test_constructor_errors_match_torch(name, kw):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as expected:
        getattr(torch.nn, name)(**kw)
    with pytest.raises(ValueError, match=expected.value.args[0]):
        getattr(nn, name)(**kw)


def test_a_loss_subclass_without_forward_gets_modules_missing_forward_error():
    # the loss modules share _Loss.forward; a user's subclass (torch.nn.modules.loss._Loss
    # in ported scripts) that defines no forward must still get Module's error, as in torch
    class MyLoss(nn.modules.loss._WeightedLoss):
        pass

    with pytest.raises(
        NotImplementedError, match=r'Module \[MyLoss\] is missing the required "forward"'
    ):
        MyLoss()(autograd.zeros(2), autograd.zeros(2))
