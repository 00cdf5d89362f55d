"""Elementwise, math and compare ops: what the registry tests cannot express.

* type promotion and int/bool behaviour against torch, for every dtype pair;
* special values (nan, +-inf, +-0) forward, and gradients at kinks and poles against torch;
* in-place variants through Tensor methods and operators;
* error messages, ``allclose``/``equal``.
"""

import math

import numpy as np
import pytest

import autograd
from autograd.errors import DTypeError

DTYPES = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]
NAN, INF = float("nan"), float("inf")


def _torch():
    return pytest.importorskip("torch")


def _values(dtype):
    """Small test data per dtype: no zeros for integers (division), a spread for floats."""
    if dtype == "bool":
        return np.array([True, False, True, True])
    if dtype == "uint8":
        return np.array([1, 2, 3, 7], dtype=dtype)
    if dtype.startswith("int"):
        return np.array([3, -2, 5, -7], dtype=dtype)
    return np.array([1.5, -2.25, 0.5, 3.0], dtype=dtype)


def _ours(arr):
    return autograd.tensor(arr)


def _theirs(torch, arr):
    return torch.tensor(arr)


def _run_both(torch, fn_ours, fn_torch):
    """(result, error) for both libraries."""
    res = []
    for fn in (fn_ours, fn_torch):
        try:
            res.append((fn(), None))
        except (RuntimeError, TypeError, ValueError, NotImplementedError) as e:
            res.append((None, e))
    return res


def _same(torch, ours, theirs, where, rtol=1e-6):
    """Compare one result (Tensor or bool) with torch's; returns an error string or None."""
    if isinstance(theirs, bool):
        return None if ours is theirs else f"{where}: {ours} vs torch {theirs}"
    o_dt = str(ours.dtype).split(".")[-1]
    t_dt = str(theirs.dtype).split(".")[-1]
    if o_dt != t_dt:
        return f"{where}: dtype {o_dt} vs torch {t_dt}"
    o = ours.detach().numpy().astype(np.float64)
    t = theirs.detach().double().numpy()
    if o_dt == "float16":
        rtol = 2e-3
    if not np.allclose(o, t, rtol=rtol, atol=1e-6, equal_nan=True):
        return f"{where}: values {o} vs torch {t}"
    return None


def _compare(torch, name, fn_ours, fn_torch, fn_torch_tensors=None):
    """Both raise, or both give the same dtype and values. ``fn_torch_tensors`` is tried
    when torch refuses a Python number as an argument (we accept numbers everywhere)."""
    (o, oe), (t, te) = _run_both(torch, fn_ours, fn_torch)
    if isinstance(te, TypeError) and fn_torch_tensors is not None:
        (t, te), _ = _run_both(torch, fn_torch_tensors, lambda: None)
    if te is not None and oe is not None:
        return None  # both refuse
    if te is not None:
        return f"{name}: torch raises {type(te).__name__}: {str(te)[:80]}, we return {o}"
    if oe is not None:
        return f"{name}: we raise {type(oe).__name__}: {oe}, torch returns {t}"
    return _same(torch, o, t, name)


def _wrap_number(torch, v):
    # several torch ops accept only tensors: a 0-d tensor promotes exactly like a number
    return torch.tensor(v) if isinstance(v, (bool, int, float)) else v


# ---- type promotion / int and bool behaviour -----------------------------------------------
UNARY = (
    "neg abs sign sgn square sqrt rsqrt reciprocal exp exp2 log log1p expm1 log2 log10 sin cos "
    "tan asin acos atan sinh cosh tanh asinh acosh atanh sigmoid logit relu erf erfc erfinv "
    "floor ceil round trunc fix frac signbit isnan isinf isposinf isneginf isfinite nan_to_num "
    "logical_not bitwise_not"
).split()


@pytest.mark.parametrize("name", UNARY)
def test_unary_dtypes_match_torch(name):
    torch = _torch()
    errors = []
    for dt in DTYPES:
        arr = _values(dt)
        err = _compare(
            torch,
            f"{name}({dt})",
            lambda: getattr(autograd, name)(_ours(arr)),
            lambda: getattr(torch, name)(_theirs(torch, arr)),
        )
        if err:
            errors.append(err)
    assert not errors, "\n".join(errors)


BINARY = (
    "add sub mul div true_divide floor_divide remainder fmod pow float_power atan2 hypot "
    "copysign xlogy maximum minimum fmax fmin eq ne lt le gt ge logical_and logical_or "
    "logical_xor bitwise_and bitwise_or bitwise_xor"
).split()
TENSOR_ONLY = {
    "atan2",
    "hypot",
    "maximum",
    "minimum",
    "fmax",
    "fmin",
    "logical_and",
    "logical_or",
    "logical_xor",
}
SCALARS = [True, 2, 2.5]


@pytest.mark.parametrize("name", BINARY)
def test_binary_dtypes_match_torch(name):
    """Every dtype pair, tensor with 0-d tensor, and tensor with Python numbers."""
    torch = _torch()
    errors = []

    def check(label, a_ours, b_ours, a_torch, b_torch):
        if name in TENSOR_ONLY:
            a_torch, b_torch = _wrap_number(torch, a_torch), _wrap_number(torch, b_torch)
        err = _compare(
            torch,
            f"{name}{label}",
            lambda: getattr(autograd, name)(a_ours, b_ours),
            lambda: getattr(torch, name)(a_torch, b_torch),
            lambda: getattr(torch, name)(
                _wrap_number(torch, a_torch), _wrap_number(torch, b_torch)
            ),
        )
        if err:
            errors.append(err)

    for da in DTYPES:
        a = _values(da)
        for db in DTYPES:
            b = _values(db)[::-1].copy()
            check(f"({da}, {db})", _ours(a), _ours(b), _theirs(torch, a), _theirs(torch, b))
            b0 = b[:1].reshape(())  # a 0-d tensor does not decide the dtype within a category
            check(f"({da}, 0-d {db})", _ours(a), _ours(b0), _theirs(torch, a), _theirs(torch, b0))
        for s in SCALARS:
            check(f"({da}, {s!r})", _ours(a), s, _theirs(torch, a), s)
            if name not in TENSOR_ONLY and name not in ("hypot",):
                check(f"({s!r}, {da})", s, _ours(a), s, _theirs(torch, a))
    assert not errors, "\n".join(errors[:20]) + f"\n({len(errors)} mismatches)"


def test_clamp_dtypes_match_torch():
    torch = _torch()
    errors = []
    for dt in DTYPES:
        arr = _values(dt)
        for lo, hi in [(0, 2), (0.5, None), (None, 1), (True, None), (-1.5, 2.5)]:
            err = _compare(
                torch,
                f"clamp({dt}, {lo}, {hi})",
                lambda: autograd.clamp(_ours(arr), lo, hi),
                lambda: torch.clamp(_theirs(torch, arr), lo, hi),
            )
            if err:
                errors.append(err)
        for dl in ("int64", "float32", "float64"):
            lo = _values(dl)[::-1].copy()
            err = _compare(
                torch,
                f"clamp({dt}, tensor {dl})",
                lambda: autograd.clamp(_ours(arr), _ours(lo)),
                lambda: torch.clamp(_theirs(torch, arr), _theirs(torch, lo)),
            )
            if err:
                errors.append(err)
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
def test_addc_dtypes_match_torch(name):
    torch = _torch()
    errors = []
    for da in ("int64", "float32", "float64"):
        for db in ("int32", "float32", "float64"):
            a, b = _values(da), _values(db)
            err = _compare(
                torch,
                f"{name}({da}, {db}, {db})",
                lambda: getattr(autograd, name)(_ours(a), _ours(b), _ours(b), value=2),
                lambda: getattr(torch, name)(
                    _theirs(torch, a), _theirs(torch, b), _theirs(torch, b), value=2
                ),
            )
            if err:
                errors.append(err)
    assert not errors, "\n".join(errors)


def test_int_results_keep_integer_dtype():
    x = autograd.tensor([7, -7, 3])
    assert autograd.abs(x).dtype == autograd.int64
    assert autograd.floor_divide(x, 2).tolist() == [3, -4, 1]
    assert autograd.div(x, 2, rounding_mode="trunc").tolist() == [3, -3, 1]
    assert autograd.div(x, 2, rounding_mode="floor").dtype == autograd.int64
    assert autograd.remainder(x, 3).tolist() == [1, 2, 0]  # sign of the divisor
    assert autograd.fmod(x, 3).tolist() == [1, -1, 0]  # sign of the dividend
    assert (x // 2).tolist() == [3, -4, 1] and (x % 3).tolist() == [1, 2, 0]
    assert autograd.sqrt(x.abs()).dtype == autograd.float32
    assert autograd.square(autograd.tensor([True, False])).dtype == autograd.int64
    assert autograd.sign(autograd.tensor([True, False])).dtype == autograd.bool
    assert autograd.floor(x).dtype == autograd.int64
    assert (x > 0).dtype == autograd.bool


def test_trunc_division_of_large_integers_is_exact():
    # float64 cannot hold 2**62 + 1: the integer path must not go through floats
    a = autograd.tensor([2**62 + 1, -(2**62 + 1)])
    assert autograd.div(a, 1, rounding_mode="trunc").tolist() == [2**62 + 1, -(2**62 + 1)]
    assert autograd.div(a, 2, rounding_mode="trunc").tolist() == [2**61, -(2**61)]


# ---- special values: forward against torch --------------------------------------------------
SPECIAL = np.array(
    [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 1e30, -1e-30, 88.0, -100.0]
)


@pytest.mark.parametrize("name", [n for n in UNARY if n not in ("bitwise_not",)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_special_values_match_torch(name, dtype):
    torch = _torch()
    arr = SPECIAL.astype(dtype)
    ours = getattr(autograd, name)(autograd.tensor(arr))
    theirs = getattr(torch, name)(torch.tensor(arr))
    err = _same(torch, ours, theirs, f"{name}({dtype})", rtol=1e-5)
    assert err is None, err


@pytest.mark.parametrize(
    "name",
    [
        "add",
        "sub",
        "mul",
        "div",
        "floor_divide",
        "remainder",
        "fmod",
        "pow",
        "float_power",
        "atan2",
        "hypot",
        "copysign",
        "xlogy",
        "maximum",
        "minimum",
        "fmax",
        "fmin",
        "eq",
        "lt",
        "ge",
    ],
)
def test_binary_special_values_match_torch(name):
    torch = _torch()
    a = np.repeat(SPECIAL, SPECIAL.size)
    b = np.tile(SPECIAL, SPECIAL.size)
    ours = getattr(autograd, name)(autograd.tensor(a), autograd.tensor(b))
    theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    err = _same(torch, ours, theirs, name, rtol=1e-12)
    assert err is None, err


def test_nan_to_num_and_isclose_special_values():
    torch = _torch()
    arr = SPECIAL.astype(np.float32)
    for kw in ({}, {"nan": 1.0}, {"posinf": 5.0, "neginf": -5.0}):
        err = _same(
            torch,
            autograd.nan_to_num(autograd.tensor(arr), **kw),
            torch.nan_to_num(torch.tensor(arr), **kw),
            f"nan_to_num {kw}",
        )
        assert err is None, err
    for eq_nan in (False, True):
        err = _same(
            torch,
            autograd.isclose(
                autograd.tensor(arr), autograd.tensor(arr[::-1].copy()), equal_nan=eq_nan
            ),
            torch.isclose(torch.tensor(arr), torch.tensor(arr[::-1].copy()), equal_nan=eq_nan),
            "isclose",
        )
        assert err is None, err


def test_sign_of_nan_is_zero():
    assert autograd.sign(autograd.tensor([NAN, -0.0, -3.0])).tolist() == [0.0, 0.0, -1.0]


# ---- gradients at kinks, poles and other special points, against torch ------------------------
def _grads_both(torch, fn_ours, fn_torch, *inputs):
    xs_o = [autograd.tensor(np.asarray(x, np.float64), requires_grad=True) for x in inputs]
    xs_t = [torch.tensor(np.asarray(x, np.float64), requires_grad=True) for x in inputs]
    y_o, y_t = fn_ours(*xs_o), fn_torch(*xs_t)
    g_o = autograd.grad(y_o.sum(), xs_o, allow_unused=True)
    g_t = torch.autograd.grad(y_t.sum(), xs_t, allow_unused=True)
    return y_o, y_t, g_o, g_t


SPECIAL_GRADS = [
    ("abs", lambda m, a: m.abs(a), [[0.0, -1.0, 2.0, -0.0]]),
    ("relu", lambda m, a: m.relu(a), [[0.0, -1.0, 2.0]]),
    ("sqrt", lambda m, a: m.sqrt(a), [[0.0, 4.0, -1.0]]),
    ("rsqrt", lambda m, a: m.rsqrt(a), [[0.0, 4.0]]),
    ("reciprocal", lambda m, a: m.reciprocal(a), [[0.0, -0.5]]),
    ("log", lambda m, a: m.log(a), [[0.0, 0.5]]),
    ("log2", lambda m, a: m.log2(a), [[0.0, 0.5]]),
    ("log10", lambda m, a: m.log10(a), [[0.0, 0.5]]),
    ("log1p", lambda m, a: m.log1p(a), [[-1.0, 0.5]]),
    ("asin", lambda m, a: m.asin(a), [[1.0, -1.0, 0.5]]),
    ("acos", lambda m, a: m.acos(a), [[1.0, -1.0, 0.5]]),
    ("acosh", lambda m, a: m.acosh(a), [[1.0, 2.0]]),
    ("atanh", lambda m, a: m.atanh(a), [[1.0, -1.0, 0.5]]),
    ("erfinv", lambda m, a: m.erfinv(a), [[1.0, 0.0, -1.0]]),
    ("logit", lambda m, a: m.logit(a), [[0.0, 0.5, 1.0, -0.1, 1.5]]),
    ("logit eps", lambda m, a: m.logit(a, eps=0.1), [[0.0, 0.05, 0.1, 0.5, 0.9, 1.0]]),
    ("sign", lambda m, a: m.sign(a), [[0.0, 1.0]]),
    ("floor", lambda m, a: m.floor(a), [[1.0, 1.5]]),
    ("round", lambda m, a: m.round(a), [[0.5, 1.5]]),
    ("round decimals", lambda m, a: m.round(a, decimals=1), [[0.25, 1.55]]),
    ("frac", lambda m, a: m.frac(a), [[1.0, -1.5]]),
    ("clamp", lambda m, a: m.clamp(a, 0.0, 1.0), [[-1.0, 0.0, 0.5, 1.0, 2.0, NAN]]),
    ("clamp min>max", lambda m, a: m.clamp(a, 1.0, 0.0), [[-1.0, 0.0, 0.5, 1.0, 2.0]]),
    ("clamp_min", lambda m, a: m.clamp_min(a, 0.0), [[-1.0, 0.0, 0.5]]),
    ("clamp_max", lambda m, a: m.clamp_max(a, 0.0), [[-1.0, 0.0, 0.5]]),
    (
        "clamp tensors",
        lambda m, a, lo, hi: m.clamp(a, lo, hi),
        [
            [-1.0, 0.0, 0.5, 1.0, 2.0, 0.5, 0.5],
            [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.5],
            [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.5],
        ],
    ),
    ("clamp min tensor", lambda m, a, lo: m.clamp(a, min=lo), [[-1.0, 0.0, 0.5], [0.0, 0.0, 0.0]]),
    ("clamp max tensor", lambda m, a, hi: m.clamp(a, max=hi), [[-1.0, 0.0, 0.5], [0.0, 0.0, 0.0]]),
    (
        "maximum",
        lambda m, a, b: m.maximum(a, b),
        [[1.0, 2.0, 3.0, NAN, 1.0], [2.0, 2.0, 2.0, 1.0, NAN]],
    ),
    (
        "minimum",
        lambda m, a, b: m.minimum(a, b),
        [[1.0, 2.0, 3.0, NAN, 1.0], [2.0, 2.0, 2.0, 1.0, NAN]],
    ),
    ("fmax", lambda m, a, b: m.fmax(a, b), [[1.0, 2.0, 3.0, NAN, 1.0], [2.0, 2.0, 2.0, 1.0, NAN]]),
    ("fmin", lambda m, a, b: m.fmin(a, b), [[1.0, 2.0, 3.0, NAN, 1.0], [2.0, 2.0, 2.0, 1.0, NAN]]),
    ("hypot", lambda m, a, b: m.hypot(a, b), [[0.0, 3.0], [0.0, 4.0]]),
    ("atan2", lambda m, a, b: m.atan2(a, b), [[0.0, 1.0, -0.0], [0.0, 1.0, -1.0]]),
    (
        "copysign",
        lambda m, a, b: m.copysign(a, b),
        [[0.0, 3.0, -2.0, 1.0], [-1.0, -4.0, 1.0, -0.0]],
    ),
    (
        "xlogy",
        lambda m, a, b: m.xlogy(a, b),
        [[0.0, 0.0, 2.0, 0.0, 1.0], [0.0, -1.0, 3.0, 2.0, 0.0]],
    ),
    (
        "pow",
        lambda m, a, b: m.pow(a, b),
        [[0.0, 0.0, -2.0, 2.0, 0.0, 0.0], [0.0, -1.0, 2.0, 0.5, 2.0, 0.5]],
    ),
    (
        "float_power",
        lambda m, a, b: m.float_power(a, b),
        [[0.0, 0.0, -2.0, 2.0], [0.0, -1.0, 2.0, 0.5]],
    ),
    ("div", lambda m, a, b: m.div(a, b), [[1.0, 0.0, -1.0], [0.0, 0.0, 0.0]]),
    ("div floor", lambda m, a, b: m.div(a, b, rounding_mode="floor"), [[3.0, -3.0], [2.0, 2.0]]),
    ("div trunc", lambda m, a, b: m.div(a, b, rounding_mode="trunc"), [[3.0, -3.0], [2.0, 2.0]]),
    ("remainder", lambda m, a, b: m.remainder(a, b), [[5.0, -5.0, 5.0], [3.0, 3.0, -3.0]]),
    ("fmod", lambda m, a, b: m.fmod(a, b), [[5.0, -5.0, 5.0], [3.0, 3.0, -3.0]]),
    ("nan_to_num", lambda m, a: m.nan_to_num(a, nan=1.0), [[NAN, INF, -INF, 1.0]]),
    (
        "lerp",
        lambda m, a, b, w: m.lerp(a, b, w),
        [[0.0, 1.0, 2.0], [2.0, 3.0, 2.0], [0.3, 0.7, 0.5]],
    ),
    ("lerp scalar", lambda m, a, b: m.lerp(a, b, 0.5), [[0.0, 1.0], [2.0, 3.0]]),
    (
        "addcdiv",
        lambda m, a, b, c: m.addcdiv(a, b, c, value=2),
        [[1.0, 1.0], [2.0, 1.0], [4.0, 0.0]],
    ),
    ("addcmul", lambda m, a, b, c: m.addcmul(a, b, c, value=-3), [[1.0], [2.0], [4.0]]),
    ("square", lambda m, a: m.square(a), [[3.0, -0.0]]),
    ("exp2", lambda m, a: m.exp2(a), [[1.0, -INF]]),
    ("tan", lambda m, a: m.tan(a), [[0.0, 1.0]]),
    ("sinh/cosh", lambda m, a: m.sinh(a) * m.cosh(a), [[0.0, 1.0, -2.0]]),
    ("erf/erfc", lambda m, a: m.erf(a) + 2 * m.erfc(a), [[0.0, 1.0, -2.0]]),
]


@pytest.mark.parametrize("label,fn,inputs", SPECIAL_GRADS, ids=[s[0] for s in SPECIAL_GRADS])
def test_gradients_at_special_points_match_torch(label, fn, inputs):
    torch = _torch()
    y_o, y_t, g_o, g_t = _grads_both(
        torch, lambda *a: fn(autograd, *a), lambda *a: fn(torch, *a), *inputs
    )
    np.testing.assert_allclose(
        y_o.detach().numpy(), y_t.detach().numpy(), equal_nan=True, rtol=1e-12
    )
    for k, (a, b) in enumerate(zip(g_o, g_t)):
        a = np.zeros(len(inputs[k])) if a is None else a.numpy()
        b = np.zeros(len(inputs[k])) if b is None else b.numpy()
        np.testing.assert_allclose(
            a, b, equal_nan=True, rtol=1e-12, err_msg=f"{label}: gradient of input {k}"
        )


def test_second_derivative_at_special_points_has_no_warnings():
    # create_graph=True routes the VJPs through Tensor ops: they must stay silent too
    x = autograd.tensor([0.0, 4.0], dtype=autograd.float64, requires_grad=True)
    (g,) = autograd.grad(autograd.sqrt(x).sum(), x, create_graph=True)
    assert g.tolist()[0] == INF
    (gg,) = autograd.grad(g.sum(), x)
    assert gg.tolist()[1] == pytest.approx(-0.25 * 4.0**-1.5)


def test_clamp_gradient_is_inclusive_at_both_bounds():
    x = autograd.tensor([0.0, 1.0, 1.0000001, -1e-9], requires_grad=True)
    x.clamp(0.0, 1.0).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 0.0, 0.0]


def test_maximum_tie_splits_gradient():
    a = autograd.tensor([2.0], requires_grad=True)
    b = autograd.tensor([2.0], requires_grad=True)
    autograd.maximum(a, b).backward()
    assert a.grad.tolist() == [0.5] and b.grad.tolist() == [0.5]


def test_zero_gradient_ops_still_require_grad():
    x = autograd.tensor([1.5, -2.5], requires_grad=True)
    for y in (
        x.floor(),
        x.ceil(),
        x.round(),
        x.trunc(),
        x.sign(),
        autograd.div(x, 2, rounding_mode="floor"),
    ):
        assert y.requires_grad
        (g,) = autograd.grad(y.sum(), x)
        assert g.tolist() == [0.0, 0.0]


def test_float_power_gradient_keeps_input_dtype():
    x = autograd.tensor([2.0, 3.0], requires_grad=True)
    y = autograd.float_power(x, 2)
    assert y.dtype == autograd.float64
    y.sum().backward()
    assert x.grad.dtype == autograd.float32 and x.grad.tolist() == [4.0, 6.0]


# ---- in-place variants ------------------------------------------------------------------------
INPLACE = [
    ("add_", (2.0,), {}),
    ("add_", (), {"other": 2.0, "alpha": 3}),
    ("sub_", (1.5,), {}),
    ("mul_", (-2.0,), {}),
    ("div_", (4.0,), {}),
    ("div_", (2.0,), {"rounding_mode": "floor"}),
    ("pow_", (2.0,), {}),
    ("clamp_", (-0.5, 0.5), {}),
    ("clamp_", (), {"min": 0.0}),
    ("clip_", (-0.5, 0.5), {}),
    ("clamp_min_", (0.1,), {}),
    ("clamp_max_", (0.1,), {}),
    ("neg_", (), {}),
    ("exp_", (), {}),
    ("abs_", (), {}),
    ("sigmoid_", (), {}),
    ("tanh_", (), {}),
    ("relu_", (), {}),
    ("floor_", (), {}),
    ("ceil_", (), {}),
    ("round_", (), {}),
    ("trunc_", (), {}),
    ("reciprocal_", (), {}),
    ("sign_", (), {}),
    ("sin_", (), {}),
    ("cos_", (), {}),
    ("fmod_", (0.7,), {}),
    ("remainder_", (0.7,), {}),
    ("square_", (), {}),
]


def _inplace_values():
    return np.array([0.3, -1.7, 2.2, -0.6])


@pytest.mark.parametrize(
    "name,args,kwargs", INPLACE, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(INPLACE)]
)
def test_inplace_methods_match_torch(name, args, kwargs):
    """Value, version bump, and gradient through the in-place op (on a non-leaf)."""
    torch = _torch()
    results = []
    for lib in (autograd, torch):
        leaf = lib.tensor(_inplace_values(), requires_grad=True)
        y = leaf * 1.0
        before = y._version
        out = getattr(y, name)(*args, **kwargs)
        assert out is y
        assert y._version > before
        (y * lib.tensor(np.arange(1.0, 5.0))).sum().backward()
        results.append((y.detach().numpy().copy(), leaf.grad.numpy().copy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["sqrt_", "log_"])
def test_inplace_sqrt_log(name):
    torch = _torch()
    vals = np.array([0.3, 1.7, 2.2])
    ours = autograd.tensor(vals)
    getattr(ours, name)()
    theirs = torch.tensor(vals)
    getattr(theirs, name)()
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_inplace_lerp():
    torch = _torch()
    vals = []
    for lib in (autograd, torch):
        leaf = lib.tensor([0.5, -1.0], requires_grad=True)
        end = lib.tensor([2.0, 3.0], requires_grad=True)
        y = leaf * 1.0
        y.lerp_(end, 0.25)
        (y * lib.tensor([1.0, 2.0])).sum().backward()
        vals.append([y.detach().numpy().copy(), leaf.grad.numpy().copy(), end.grad.numpy().copy()])
    for a, b in zip(*vals):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_inplace_addcmul_addcdiv():
    torch = _torch()
    for name in ("addcmul_", "addcdiv_"):
        vals = []
        for lib in (autograd, torch):
            t = lib.tensor([1.0, 2.0])
            getattr(t, name)(lib.tensor([3.0, 4.0]), lib.tensor([2.0, 8.0]), value=0.5)
            vals.append(t.numpy().copy())
        np.testing.assert_allclose(vals[0], vals[1])


def test_inplace_on_integer_tensors():
    x = autograd.tensor([5, -3, 8])
    x.add_(2)
    x.clamp_(0, 7)
    x.floor_()
    assert x.tolist() == [7, 0, 7] and x.dtype == autograd.int64
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.div_(2)  # true division gives floats, which do not fit an int64 tensor
    x.div_(2, rounding_mode="floor")
    assert x.tolist() == [3, 0, 3]
    m = autograd.tensor([True, False])
    m &= autograd.tensor([True, True])
    m |= autograd.tensor([False, True])
    assert m.tolist() == [True, True]


def test_inplace_on_leaf_that_requires_grad_is_refused():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.clamp_(0, 1)


# ---- operators -----------------------------------------------------------------------------------
def test_bitwise_and_logical_operators():
    a = autograd.tensor([12, 10, -1])
    assert (a & 6).tolist() == [4, 2, 6]
    assert (a | 1).tolist() == [13, 11, -1]
    assert (a ^ 3).tolist() == [15, 9, -4]
    assert (~a).tolist() == [-13, -11, 0]
    m = autograd.tensor([True, False])
    assert (~m).tolist() == [False, True]
    assert (m & True).dtype == autograd.bool
    assert autograd.logical_xor(autograd.tensor([0.0, 2.0]), 1).tolist() == [True, False]


def test_abs_operator_and_aliases():
    x = autograd.tensor([-1.5, 2.0])
    assert abs(x).tolist() == [1.5, 2.0]
    assert autograd.absolute is autograd.abs and autograd.clip is autograd.clamp
    assert autograd.arcsin is autograd.asin and autograd.arctan2 is autograd.atan2
    assert autograd.fix(x).tolist() == autograd.trunc(x).tolist()
    assert x.absolute().tolist() == [1.5, 2.0] and x.arccos is not None


# ---- errors ----------------------------------------------------------------------------------------
def test_error_messages():
    f = autograd.tensor([1.0, 2.0])
    i = autograd.tensor([1, 2])
    b = autograd.tensor([True, False])
    with pytest.raises(DTypeError, match=r"\"bitwise_and_cpu\" not implemented for 'Float'"):
        f & f
    with pytest.raises(DTypeError, match="bitwise_not"):
        ~f
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
        -b
    with pytest.raises(RuntimeError, match="abs_cpu"):
        b.abs()
    with pytest.raises(RuntimeError, match="rounding_mode to be one of None, 'trunc', or 'floor'"):
        autograd.div(f, 2, rounding_mode="round")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        i // 0
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        autograd.remainder(i, autograd.tensor([1, 0]))
    with pytest.raises(RuntimeError, match="expected dtype float32 for `end`"):
        autograd.lerp(f, f.double(), 0.5)
    with pytest.raises(RuntimeError, match="lerp_kernel_scalar"):
        autograd.lerp(i, i, 0.5)
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        f.clamp()
    with pytest.raises(RuntimeError, match="Long did not match Float"):
        autograd.isclose(i, f)
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        autograd.addcdiv(i, i, i)
    with pytest.raises(RuntimeError, match="frac_cpu"):
        i.frac()
    with pytest.raises(RuntimeError, match="hypot_cpu"):
        autograd.hypot(i, i)
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        i**-1
    with pytest.raises(RuntimeError, match="The size of tensor a"):
        autograd.maximum(autograd.zeros(3), autograd.zeros(4))


# ---- allclose / equal / isclose -------------------------------------------------------------------
def test_allclose_and_equal():
    a = autograd.tensor([1.0, 2.0, NAN])
    b = autograd.tensor([1.0, 2.00001, NAN])
    assert autograd.allclose(a, b) is False  # nan != nan by default
    assert autograd.allclose(a, b, equal_nan=True) is True
    assert a.allclose(b, rtol=0, atol=0, equal_nan=True) is False
    assert autograd.equal(autograd.tensor([1, 2]), autograd.tensor([1.0, 2.0])) is True
    assert autograd.equal(autograd.tensor([1, 2]), autograd.tensor([[1, 2]])) is False
    assert autograd.tensor([1, 2]).equal(autograd.tensor([1, 3])) is False
    assert autograd.isclose(a, b).tolist() == [True, True, False]


def test_allclose_equal_match_torch():
    torch = _torch()
    rng = np.random.default_rng(0)
    x = rng.normal(size=5)
    for y in (x, x + 1e-9, x + 1e-3, np.where(x > 0, np.nan, x)):
        for kw in ({}, {"rtol": 1e-2}, {"atol": 1e-2, "equal_nan": True}):
            assert autograd.allclose(
                autograd.tensor(x), autograd.tensor(y), **kw
            ) == torch.allclose(torch.tensor(x), torch.tensor(y), **kw)
        assert autograd.equal(autograd.tensor(x), autograd.tensor(y)) == torch.equal(
            torch.tensor(x), torch.tensor(y)
        )


# ---- the xp namespace offers what other VJPs rely on -----------------------------------------------
def test_xp_functions_defined_in_both_namespaces():
    from autograd.ops import xp

    for name in (
        "sqrt",
        "rsqrt",
        "sign",
        "abs",
        "sin",
        "cos",
        "sinh",
        "cosh",
        "maximum",
        "minimum",
        "clamp",
        "square",
        "reciprocal",
        "log1p",
        "expm1",
        "erf",
        "floor",
        "trunc",
        "floor_divide",
        "isnan",
        "isfinite",
    ):
        assert hasattr(xp.NUMPY, name) and hasattr(xp.TENSOR, name), name
    assert np.array_equal(xp.NUMPY.clamp(np.array([-2.0, 0.5, 2.0]), -1.0, 1.0), [-1.0, 0.5, 1.0])
    assert xp.TENSOR.clamp(autograd.tensor([-2.0, 2.0]), max=1.0).tolist() == [-2.0, 1.0]
    assert math.isclose(xp.NUMPY.erf(np.array(0.5)), math.erf(0.5))


@pytest.mark.parametrize(
    "dtypes",
    [
        ("int32", "bool"),
        ("uint8", "bool"),
        ("int16", "int16"),
        ("bool", "bool"),
        ("float32", "int64"),
    ],
)
@pytest.mark.parametrize("op", ["add", "sub"])
def test_alpha_scales_without_promoting_like_torch(op, dtypes):
    # torch: int32.add(bool, alpha=2) stays int32 (we made it int64: alpha * bool promoted)
    torch = pytest.importorskip("torch")
    results = []
    for lib in (autograd, torch):
        a = lib.tensor([1, 2, 3]).to(getattr(lib, dtypes[0]))
        b = lib.tensor([1, 0, 1]).to(getattr(lib, dtypes[1]))
        try:
            out = getattr(a, op)(b, alpha=2)
            results.append((str(out.dtype).split(".")[-1], out.tolist()))
        except RuntimeError as e:
            results.append(str(e))
    assert results[0] == results[1]


def test_float_alpha_on_integers_is_refused_like_torch():
    a = autograd.tensor([1, 2])
    for call in (lambda: a.add(a, alpha=2.5), lambda: a.sub(3, alpha=0.5)):
        with pytest.raises(
            RuntimeError,
            match="For integral input tensors, argument alpha must not be a floating point number.",
        ):
            call()
    assert a.add(2.0, alpha=2).tolist() == [5.0, 6.0]  # a float operand makes it a float sum


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64"])
def test_fill_values_an_integer_type_cannot_hold_are_refused_like_torch(dtype):
    # NumPy's cast wrapped them silently (masked_fill(m, 300) wrote 44 into uint8, nan wrote 0)
    torch = pytest.importorskip("torch")
    for value in (300, -1, -255, -256, 2**31, 2**63, 1.5, 255.9, float("nan"), float("inf")):
        for call in (
            lambda lib, x: x.masked_fill(lib.tensor([True, False, True]), value),
            lambda lib, x: x.index_fill(0, lib.tensor([1]), value),
        ):
            results = []
            for lib in (autograd, torch):
                x = lib.zeros(3, dtype=getattr(lib, dtype))
                try:
                    results.append(call(lib, x).tolist())
                except RuntimeError as e:
                    results.append(str(e))
            assert results[0] == results[1], (dtype, value)


def test_any_all_of_uint8_stay_uint8_like_torch():
    torch = pytest.importorskip("torch")
    for lib in (autograd, torch):
        u = lib.tensor([[0, 3], [1, 2]], dtype=lib.uint8)
        for out, expect in ((u.any(), 1), (u.all(), 0), (u.all(1), [0, 1]), (u.any(0), [1, 1])):
            assert str(out.dtype).endswith("uint8") and out.tolist() == expect
    assert autograd.tensor([1, 2]).all().dtype == autograd.bool


def test_fill_with_a_non_0d_value_has_torchs_message():
    torch = pytest.importorskip("torch")
    for fill in (lambda lib, x, v: lib.fill(x, v), lambda lib, x, v: x.fill_(v)):
        messages = []
        for lib in (autograd, torch):
            with pytest.raises(RuntimeError) as info:
                fill(lib, lib.zeros(2), lib.tensor([1.0, 2.0]))
            messages.append(str(info.value))
        assert messages[0] == messages[1]
