"""Tests for optim.lr_scheduler: 100-step lr (and momentum) sequences vs torch, hand-computed
values for a few schedules, state_dict round trips, errors and warnings."""

import copy
import math
import warnings

import numpy as np
import pytest

import autograd
import optim
from optim import lr_scheduler as S

LRS = (0.1, 0.01)  # two parameter groups with different learning rates


def _make_opt(lib, kind="sgd"):
    if lib == "torch":
        import torch

        params = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
        mod = torch.optim
    else:
        params = [autograd.zeros(2, requires_grad=True), autograd.zeros(3, requires_grad=True)]
        mod = optim
    groups = [{"params": [params[0]], "lr": LRS[0]}, {"params": [params[1]], "lr": LRS[1]}]
    if kind == "adam":
        return mod.Adam(groups, lr=LRS[0])
    return mod.SGD(groups, lr=LRS[0], momentum=0.9)


def _sched_module(lib):
    if lib == "torch":
        import torch

        return torch.optim.lr_scheduler
    return S


# name -> (optimizer kind, builder(sched_module, optimizer))
CASES = {
    "LambdaLR": ("sgd", lambda m, o: m.LambdaLR(o, lambda e: 0.97**e)),
    "LambdaLR-per-group": (
        "sgd",
        lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.5 ** (e // 10)]),
    ),
    "MultiplicativeLR": ("sgd", lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95)),
    "StepLR": ("sgd", lambda m, o: m.StepLR(o, step_size=30, gamma=0.1)),
    "StepLR-small": ("sgd", lambda m, o: m.StepLR(o, step_size=7, gamma=0.7)),
    "MultiStepLR": ("sgd", lambda m, o: m.MultiStepLR(o, milestones=[10, 30, 30, 80], gamma=0.5)),
    "ConstantLR": ("sgd", lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=12)),
    "LinearLR": (
        "sgd",
        lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=40),
    ),
    "ExponentialLR": ("sgd", lambda m, o: m.ExponentialLR(o, gamma=0.93)),
    "PolynomialLR": ("sgd", lambda m, o: m.PolynomialLR(o, total_iters=60, power=2.0)),
    "CosineAnnealingLR": ("sgd", lambda m, o: m.CosineAnnealingLR(o, T_max=30, eta_min=1e-3)),
    "CosineAnnealingLR-long": ("sgd", lambda m, o: m.CosineAnnealingLR(o, T_max=100)),
    "CosineAnnealingWarmRestarts": (
        "sgd",
        lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=1e-4),
    ),
    "CosineAnnealingWarmRestarts-T1": ("sgd", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7)),
    "CyclicLR-triangular": (
        "sgd",
        lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=8),
    ),
    "CyclicLR-triangular2": (
        "sgd",
        lambda m, o: m.CyclicLR(
            o,
            base_lr=[0.01, 0.001],
            max_lr=[0.1, 0.05],
            step_size_up=5,
            step_size_down=12,
            mode="triangular2",
        ),
    ),
    "CyclicLR-exp_range": (
        "sgd",
        lambda m, o: m.CyclicLR(
            o,
            base_lr=0.01,
            max_lr=0.1,
            step_size_up=6,
            mode="exp_range",
            gamma=0.98,
            base_momentum=0.7,
            max_momentum=0.95,
        ),
    ),
    "CyclicLR-betas": (
        "adam",
        lambda m, o: m.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=10),
    ),
    "CyclicLR-no-momentum": (
        "adam",
        lambda m, o: m.CyclicLR(
            o, base_lr=0.001, max_lr=0.01, step_size_up=10, cycle_momentum=False
        ),
    ),
    "OneCycleLR-cos": ("sgd", lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.1], total_steps=101)),
    "OneCycleLR-linear-3phase": (
        "sgd",
        lambda m, o: m.OneCycleLR(
            o,
            max_lr=0.5,
            epochs=10,
            steps_per_epoch=11,
            anneal_strategy="linear",
            three_phase=True,
            pct_start=0.25,
        ),
    ),
    "OneCycleLR-betas": (
        "adam",
        lambda m, o: m.OneCycleLR(o, max_lr=0.01, total_steps=120, div_factor=10.0),
    ),
    "SequentialLR-warmup-cosine": (
        "sgd",
        lambda m, o: m.SequentialLR(
            o,
            [m.LinearLR(o, start_factor=0.1, total_iters=10), m.CosineAnnealingLR(o, T_max=90)],
            milestones=[10],
        ),
    ),
    "SequentialLR-three": (
        "sgd",
        lambda m, o: m.SequentialLR(
            o,
            [
                m.ConstantLR(o, factor=0.5, total_iters=5),
                m.ExponentialLR(o, gamma=0.9),
                m.StepLR(o, step_size=10),
            ],
            milestones=[20, 50],
        ),
    ),
    "ChainedScheduler": (
        "sgd",
        lambda m, o: m.ChainedScheduler(
            [m.ConstantLR(o, factor=0.1, total_iters=4), m.ExponentialLR(o, gamma=0.96)]
        ),
    ),
    "ChainedScheduler-cosine-multistep": (
        "sgd",
        lambda m, o: m.ChainedScheduler(
            [m.CosineAnnealingLR(o, T_max=25), m.MultiStepLR(o, milestones=[40, 70])]
        ),
    ),
}


def _sequence(lib, case, steps=100):
    kind, build = CASES[case]
    opt = _make_opt(lib, kind)
    sched = build(_sched_module(lib), opt)
    lrs, moms = [], []
    for _ in range(steps):
        lrs.append(list(sched.get_last_lr()))
        moms.append([g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups])
        opt.step()
        sched.step()
    lrs.append(list(sched.get_last_lr()))
    return np.array(lrs), np.array(moms)


@pytest.mark.parametrize("case", list(CASES))
def test_sequence_matches_torch(case):
    pytest.importorskip("torch")
    ours_lr, ours_m = _sequence("ours", case)
    torch_lr, torch_m = _sequence("torch", case)
    np.testing.assert_allclose(ours_lr, torch_lr, rtol=1e-13, atol=0)
    np.testing.assert_allclose(ours_m, torch_m, rtol=1e-13, atol=0)


def _plateau_run(lib, metrics, **kwargs):
    opt = _make_opt(lib)
    sched = _sched_module(lib).ReduceLROnPlateau(opt, **kwargs)
    out = []
    for m in metrics:
        opt.step()
        sched.step(m)
        out.append(list(sched.get_last_lr()))
    return np.array(out)


PLATEAU_METRICS = (
    [1.0 / (i + 1) for i in range(15)]
    + [0.07] * 20
    + [0.07 - 0.001 * i for i in range(20)]
    + [0.5] * 45
)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"patience": 3, "factor": 0.5, "cooldown": 2},
        {"mode": "max", "patience": 2, "threshold_mode": "abs", "threshold": 0.01},
        {"patience": 1, "min_lr": [0.05, 1e-4], "factor": 0.3},
        {"patience": 0, "threshold_mode": "abs", "eps": 1e-3},
    ],
)
def test_reduce_on_plateau_matches_torch(kwargs):
    pytest.importorskip("torch")
    np.testing.assert_array_equal(
        _plateau_run("ours", PLATEAU_METRICS, **kwargs),
        _plateau_run("torch", PLATEAU_METRICS, **kwargs),
    )


# ---- hand-computed values --------------------------------------------------------------
def _ours(case, steps=100):
    return _sequence("ours", case, steps)[0][:, 0]  # group 0 (base lr 0.1)


def test_step_and_multistep_by_hand():
    got = _ours("StepLR")
    expected = [0.1 * 0.1 ** (e // 30) for e in range(101)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    got = _ours("MultiStepLR")
    expected = [0.1 * 0.5 ** (int(e >= 10) + 2 * int(e >= 30) + int(e >= 80)) for e in range(101)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_cosine_by_hand():
    got = _ours("CosineAnnealingLR")  # T_max=30, eta_min=1e-3: periodic with period 60
    expected = [1e-3 + (0.1 - 1e-3) * (1 + math.cos(math.pi * e / 30)) / 2 for e in range(101)]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-15)
    assert got[30] == pytest.approx(1e-3) and got[60] == pytest.approx(0.1)


def test_warm_restarts_by_hand():
    got = _ours("CosineAnnealingWarmRestarts")  # T_0=10, T_mult=2: restarts at 10, 30, 70

    def expected(e):
        start, T = 0, 10
        while e >= start + T:
            start, T = start + T, T * 2
        return 1e-4 + (0.1 - 1e-4) * (1 + math.cos(math.pi * (e - start) / T)) / 2

    np.testing.assert_allclose(got, [expected(e) for e in range(101)], rtol=1e-12)
    assert got[10] == pytest.approx(0.1) and got[30] == pytest.approx(0.1)


def test_linear_warmup_then_cosine_by_hand():
    got = _ours("SequentialLR-warmup-cosine")  # 10 warm-up epochs from 0.01, cosine T=90
    expected = [
        0.1 * (0.1 + 0.9 * e / 10) if e < 10 else 0.1 * (1 + math.cos(math.pi * (e - 10) / 90)) / 2
        for e in range(101)
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-15)
    assert got[0] == pytest.approx(0.01) and got[10] == pytest.approx(0.1)


def test_linear_and_constant_by_hand():
    opt = _make_opt("ours")
    sched = S.LinearLR(opt, start_factor=0.25, total_iters=4)
    seq = []
    for _ in range(6):
        seq.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    np.testing.assert_allclose(seq, [0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1], rtol=1e-12)
    got = _ours("ConstantLR", steps=15)
    np.testing.assert_allclose(got, [0.025] * 12 + [0.1] * 4, rtol=1e-12)


def test_cyclic_triangular_by_hand():
    got = _ours("CyclicLR-triangular")  # 0.01 -> 0.1 in 8 steps and back in 8
    expected = [0.01 + 0.09 * (1 - abs((e % 16) - 8) / 8) for e in range(101)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_one_cycle_by_hand():
    lrs, moms = _sequence("ours", "OneCycleLR-cos")  # max_lr 1.0, 101 steps, pct 0.3
    lr = lrs[:, 0]
    initial, peak_lr, final = 1.0 / 25, 1.0, 1.0 / 25 / 1e4
    peak = 0.3 * 101 - 1  # phase boundary (fractional)

    def cos_anneal(start, end, pct):
        return end + (start - end) * (1 + math.cos(math.pi * pct)) / 2

    expected = [
        cos_anneal(initial, peak_lr, e / peak)
        if e <= peak
        else cos_anneal(peak_lr, final, (e - peak) / (100 - peak))
        for e in range(101)
    ]
    np.testing.assert_allclose(lr, expected, rtol=1e-12)
    assert lr[0] == pytest.approx(initial) and lr[100] == pytest.approx(final)
    expected_m = [
        cos_anneal(0.95, 0.85, e / peak)
        if e <= peak
        else cos_anneal(0.85, 0.95, (e - peak) / (100 - peak))
        for e in range(100)
    ]
    np.testing.assert_allclose(moms[:, 0], expected_m, rtol=1e-12)


def test_reduce_on_plateau_by_hand():
    opt = _make_opt("ours")
    sched = S.ReduceLROnPlateau(opt, patience=2, factor=0.5)
    got = []
    for _ in range(8):
        sched.step(1.0)  # never improves after the first epoch
        got.append(sched.get_last_lr()[0])
    # bad epochs 2, 3, 4 -> reduce at epoch 4; counter resets -> next reduce at epoch 7
    np.testing.assert_allclose(got, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025])


# ---- state_dict ----------------------------------------------------------------------
def _fresh(case):
    """A new optimizer and scheduler of CASES[case]."""
    kind, build = CASES[case]
    opt = _make_opt("ours", kind)
    return opt, build(S, opt)


def _steps(opt, sched, n):
    """``n`` optimizer + scheduler steps; the learning rates after each."""
    lrs = []
    for _ in range(n):
        opt.step()
        sched.step()
        lrs.append(list(sched.get_last_lr()))
    return lrs


def _check_resumes_identically(case, before, after, checkpoint):
    """Run CASES[case] ``before`` steps, pass both state dicts through ``checkpoint(opt_sd,
    sched_sd) -> (opt_sd, sched_sd)``, load them into a new optimizer and scheduler and check
    that those continue exactly like the original for ``after`` steps; returns the new
    scheduler."""
    opt, sched = _fresh(case)
    _steps(opt, sched, before)
    opt_sd, sched_sd = checkpoint(opt.state_dict(), sched.state_dict())
    expected = _steps(opt, sched, after)

    opt2, sched2 = _fresh(case)
    opt2.load_state_dict(opt_sd)
    sched2.load_state_dict(sched_sd)
    np.testing.assert_array_equal(_steps(opt2, sched2, after), expected)
    return sched2


@pytest.mark.parametrize(
    "case",
    [
        "StepLR",
        "CosineAnnealingLR",
        "CosineAnnealingWarmRestarts",
        "CyclicLR-exp_range",
        "OneCycleLR-cos",
        "SequentialLR-warmup-cosine",
        "ChainedScheduler",
        "LambdaLR",
        "MultiStepLR",
    ],
)
def test_state_dict_round_trip(case):
    def deep_copies(opt_sd, sched_sd):
        assert "optimizer" not in sched_sd
        return copy.deepcopy(opt_sd), copy.deepcopy(sched_sd)

    _check_resumes_identically(case, 37, 40, deep_copies)


def test_plateau_state_dict_round_trip():
    opt = _make_opt("ours")
    sched = S.ReduceLROnPlateau(opt, patience=1, mode="max")
    for m in [1.0, 2.0, 2.0]:
        sched.step(m)
    sd = copy.deepcopy(sched.state_dict())
    sched2 = S.ReduceLROnPlateau(_make_opt("ours"))
    sched2.load_state_dict(sd)
    assert sched2.mode == "max" and sched2.best == 2.0 and sched2.num_bad_epochs == 1


# ---- errors and warnings -----------------------------------------------------------
def test_errors():
    opt = _make_opt("ours")
    with pytest.raises(TypeError, match="is not an Optimizer"):
        S.StepLR(object(), step_size=3)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        S.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="Constant multiplicative factor expected"):
        S.ConstantLR(opt, factor=2.0)
    with pytest.raises(ValueError, match="Starting multiplicative factor expected"):
        S.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Expected positive integer T_0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        S.CyclicLR(opt, 0.01, 0.1, mode="bogus")
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        S.CyclicLR(optim.Adagrad([autograd.zeros(2, requires_grad=True)]), 0.01, 0.1)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        S.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="max_lr must have the same length as"):
        S.OneCycleLR(opt, max_lr=[0.1], total_steps=10)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode bogus is unknown!"):
        S.ReduceLROnPlateau(opt, mode="bogus")
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        S.SequentialLR(opt, [S.StepLR(opt, 3), S.ReduceLROnPlateau(opt)], milestones=[3])
    with pytest.raises(ValueError, match="one more than the number of milestone points"):
        S.SequentialLR(opt, [S.StepLR(opt, 3)], milestones=[3])
    other = _make_opt("ours")
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        S.ChainedScheduler([S.StepLR(opt, 3), S.StepLR(other, 3)])
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(_make_opt("ours"), step_size=3, last_epoch=5)
    one = S.OneCycleLR(_make_opt("ours"), max_lr=0.1, total_steps=2)
    one.optimizer.step()
    one.step()
    one.step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        one.step()


def test_warns_when_scheduler_steps_before_optimizer():
    opt = _make_opt("ours")
    sched = S.StepLR(opt, step_size=3)
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)`"):
        sched.step()
    opt = _make_opt("ours")
    sched = S.StepLR(opt, step_size=3)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()
        sched.step()


def test_step_with_epoch_uses_closed_form():
    opt = _make_opt("ours")
    sched = S.StepLR(opt, step_size=3, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(7)
    assert sched.get_last_lr()[0] == pytest.approx(0.1 * 0.5**2)
    assert sched.last_epoch == 7


def test_scheduler_drives_training_lr():
    # the optimizer really uses the scheduled lr: SGD on loss = sum(p) moves p by -lr
    p = autograd.zeros(1, dtype=autograd.float64, requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    sched = S.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        opt.zero_grad()
        p.sum().backward()
        opt.step()
        sched.step()
    assert p.item() == pytest.approx(-(1 + 0.5 + 0.25))


@pytest.mark.parametrize("case", list(CASES))
def test_save_load_through_autograd_save(case, tmp_path):
    def through_a_file(opt_sd, sched_sd):
        path = tmp_path / "sched.safetensors"
        autograd.save({"optim": opt_sd, "sched": sched_sd}, path)
        ckpt = autograd.load(path)
        return ckpt["optim"], ckpt["sched"]

    sched2 = _check_resumes_identically(case, 23, 30, through_a_file)
    if case == "MultiStepLR":  # the closed form still works after loading
        with pytest.warns(UserWarning, match="epoch parameter"):
            sched2.step(85)
        assert sched2.get_last_lr()[0] == pytest.approx(0.1 * 0.5**4)
