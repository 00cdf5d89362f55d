"""Elementwise math with rules of its own: rounding (zero gradients), logit, the polygamma
family, and small binary functions (atan2, hypot, copysign, xlogy); nan_to_num.

Each op is one block: the ``Op`` (forward on arrays, VJP through ``xp``), the public
function, the ``xp`` entry if other VJPs need it, and its ``OpInfo`` with test samples.
The plain functions of one tensor (exp, log, sqrt, sin, erf, lgamma ...) are entries of the
table in unary.py. Functions that are undefined somewhere return nan/inf like torch,
without NumPy warnings; their gradients at those points match torch's.
"""

from __future__ import annotations

import numpy as np

from ..function import Op
from ..forward_ad import elementwise_jvp
from ..tensor import Tensor
from . import xp as _xp
from ._util import binary_op, operands
from ._util import _reject
from .registry import OpInfo, Sample, register, torch_tensor_args
from .samples import binary_samples, unary_samples
from ..dtypes import FLOAT_KINDS

__all__ = [
    "atan2",
    "arctan2",
    "logit",
    "digamma",
    "polygamma",
    "floor",
    "ceil",
    "round",
    "trunc",
    "fix",
    "frac",
    "hypot",
    "copysign",
    "xlogy",
    "nan_to_num",
]


def _special():
    """scipy.special, imported on first use (``import autograd`` must stay cheap)."""
    import scipy.special

    return scipy.special


# What the registry entries of atan2 and hypot share (torch's take two tensors, no Python
# number: ``torch_fn=torch_tensor_args(name)``)
_FLOAT_PAIR = dict(inplace=True, samples=binary_samples(), family="math")


# ---- atan2 --------------------------------------------------------------------------------------
def _atan2_scale(g, a, b, xp):
    den = a * a + b * b
    return xp.where(den == 0, xp.zeros_like(g), g / den)  # at (0, 0) torch's gradient is 0


Atan2 = binary_op(
    "Atan2",
    np.arctan2,
    lambda g, a, b, xp: _atan2_scale(g, a, b, xp) * b,
    lambda g, a, b, xp: -_atan2_scale(g, a, b, xp) * a,
    "The angle of the point (b, a): d/da = b / (a**2 + b**2), d/db = -a / (a**2 + b**2).",
)


def atan2(input, other) -> Tensor:
    """Elementwise arctan(input / other) in the correct quadrant.

    Example:
        >>> autograd.atan2(autograd.tensor([1.0]), autograd.tensor([-1.0]))
        tensor([2.3562])
    """
    (a, b), _, _ = operands(input, other, floating=True)
    return Atan2.apply(a, b)


arctan2 = atan2
register(OpInfo("atan2", atan2, ref=np.arctan2, torch_fn=torch_tensor_args("atan2"), **_FLOAT_PAIR))


# ---- logit --------------------------------------------------------------------------------------
class Logit(Op):
    """log(p / (1 - p)), p clamped to [eps, 1 - eps] when eps is given.

    d/dp = 1 / (p (1 - p)); torch's convention outside the domain: the gradient is nan
    (eps=None, p < 0 or p > 1) or 0 (p outside the clamping range [eps, 1 - eps]).
    """

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x, eps):
        ctx.save_for_backward(x)
        ctx.eps = eps
        p = x if eps is None else np.clip(x, eps, 1 - eps)
        return np.log(p / (1 - p))

    @staticmethod
    def backward(ctx, g, xp):
        (x,) = ctx.saved_tensors
        eps = ctx.eps
        grad = g / (x * (1 - x))
        if eps is None:
            return xp.where((x < 0) | (x > 1), float("nan"), grad)
        return xp.where((x < eps) | (x > 1 - eps), xp.zeros_like(g), grad)


def logit(input, eps=None) -> Tensor:
    """The inverse of sigmoid, ``log(p / (1 - p))``; with ``eps`` the input is first
    clamped to ``[eps, 1 - eps]``.

    Example:
        >>> autograd.logit(autograd.tensor([0.5]))
        tensor([0.])
    """
    (x,), _, _ = operands(input, floating=True)
    return Logit.apply(x, eps=None if eps is None else float(eps))


def _ref_logit(x, eps=None):
    p = x if eps is None else np.clip(x, eps, 1 - eps)
    return np.log(p / (1 - p))


register(
    OpInfo(
        "logit",
        logit,
        inplace=True,
        ref=_ref_logit,
        samples=lambda rng: (
            unary_samples(0.1, 0.9)(rng)
            + [
                Sample(rng.uniform(0.1, 0.9, (3, 4)), eps=0.05),
                # values outside [eps, 1 - eps] (gradient 0 there), none on the edges
                Sample(np.array([0.01, 0.03, 0.5, 0.97, 0.99]), eps=0.05),
            ]
        ),
        family="math",
    )
)


# ---- the polygamma family -----------------------------------------------------------------------
def _np_special(name, *args):
    x = args[-1]
    return getattr(_special(), name)(*args).astype(x.dtype, copy=False)


class Polygamma(Op):
    """The n-th derivative of digamma: psi^(n)(x); d/dx = psi^(n+1)(x)."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x, n):
        ctx.n = n
        ctx.save_for_backward(x)
        return _np_polygamma(n, x)

    @staticmethod
    def backward(ctx, g, xp):
        (x,) = ctx.saved_tensors
        return g * xp.polygamma(ctx.n + 1, x)


def _np_polygamma(n, x):
    if n == 0:
        return _np_special("digamma", x)
    return _special().polygamma(n, x.astype(np.float64)).astype(x.dtype, copy=False)


def polygamma(n, input) -> Tensor:
    """``polygamma(n, x)``: the ``n``-th derivative of ``digamma`` (``n = 0`` is digamma
    itself, ``n = 1`` the trigamma function).

    Example:
        >>> autograd.polygamma(1, autograd.tensor([1.0]))      # pi**2 / 6
        tensor([1.6449])
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise RuntimeError(
            f"polygamma(n, x) does not support negative n or non-integer n; got n={n!r}"
        )
    (x,), _, _ = operands(input, floating=True)
    return Polygamma.apply(x, n=int(n))


def digamma(input) -> Tensor:
    """The logarithmic derivative of the gamma function, ``d/dx lgamma(x)`` (-inf at 0,
    nan at negative integers, like torch).

    Example:
        >>> autograd.digamma(autograd.tensor([1.0]))          # -Euler's gamma
        tensor([-0.5772])
    """
    return polygamma(0, input)


_xp.define("polygamma", numpy=_np_polygamma, tensor=polygamma)
register(
    OpInfo(
        "digamma",
        digamma,
        inplace=True,
        ref=lambda x: _special().digamma(x),
        samples=unary_samples(0.2, 5.0),
        family="math",
    )
)
register(
    OpInfo(
        "polygamma",
        polygamma,
        ref=lambda n, x: _special().polygamma(n, x),
        samples=lambda rng: [
            Sample(n, rng.uniform(0.3, 4.0, shape))
            for n, shape in ((1, (3, 4)), (2, ()), (3, (5,)))
        ],
        method=False,
        family="math",
    )
)


# ---- rounding: piecewise constant, so a zero gradient (as in torch) ----------------------------
class _Rounding(Op):
    """Shared backward of floor/ceil/round/trunc: the derivative is 0 almost everywhere."""

    jvp = staticmethod(elementwise_jvp)

    grad_fn_name = "RoundingBackward0"

    @staticmethod
    def backward(ctx, g, xp):
        return xp.zeros_like(g)


def _rounding_op(name, np_fn):
    """The rounding Op ``name``: ``np_fn`` forward, _Rounding's zero VJP."""
    return type(
        name,
        (_Rounding,),
        {"__module__": __name__, "forward": staticmethod(lambda ctx, x: np_fn(x))},
    )


Floor, Ceil, Trunc = (
    _rounding_op(name, fn)
    for name, fn in (("Floor", np.floor), ("Ceil", np.ceil), ("Trunc", np.trunc))
)


class Round(_Rounding):
    """Round half to even (like torch and NumPy); ``decimals`` scales by 10**decimals."""

    @staticmethod
    def forward(ctx, x, decimals):
        return np.round(x, decimals)


def _rounding(op, input, name, **params):
    (x,), _, _ = operands(input)
    kind = x._data.dtype.kind
    if kind == "b":
        _reject(name, name + "_vml_cpu", x, "convert with .long() or .float()")
    if kind in "iu":
        if params.get("decimals", 0) != 0:
            _reject(name, name + "_cpu", x, "decimals needs a floating point tensor")
        return Tensor._make(x._data.copy())  # integers are already whole numbers
    return op.apply(x, **params)


def floor(input) -> Tensor:
    """The largest whole number <= each element (zero gradient; integers are returned as is).

    Example:
        >>> autograd.floor(autograd.tensor([-1.5, 1.5]))
        tensor([-2.,  1.])
    """
    return _rounding(Floor, input, "floor")


def ceil(input) -> Tensor:
    """The smallest whole number >= each element (zero gradient).

    Example:
        >>> autograd.ceil(autograd.tensor([-1.5, 1.5]))
        tensor([-1.,  2.])
    """
    return _rounding(Ceil, input, "ceil")


def trunc(input) -> Tensor:
    """Round toward zero (zero gradient).

    Example:
        >>> autograd.trunc(autograd.tensor([-1.5, 1.5]))
        tensor([-1.,  1.])
    """
    return _rounding(Trunc, input, "trunc")


fix = trunc


def round(input, *, decimals=0) -> Tensor:
    """Round to ``decimals`` decimal places, halves to even (zero gradient).

    Example:
        >>> autograd.round(autograd.tensor([0.5, 1.5, 1.26]))
        tensor([0., 2., 1.])
        >>> autograd.round(autograd.tensor([1.26]), decimals=1)
        tensor([1.3000])
    """
    return _rounding(Round, input, "round", decimals=int(decimals))


def _rounding_samples(rng):
    # values well away from whole (and half) numbers, so finite differences see a flat function
    def off_grid(shape):
        return (
            np.floor(rng.uniform(-4, 4, shape))
            + rng.uniform(0.1, 0.4, shape)
            + rng.choice([0.0, 0.5], shape)
        )

    return [Sample(off_grid((3, 4))), Sample(off_grid(())), Sample(off_grid((2, 0)))]


_xp.define("floor", numpy=np.floor, tensor=floor)
_xp.define("trunc", numpy=np.trunc, tensor=trunc)
for _name, _fn, _ref in [
    ("floor", floor, np.floor),
    ("ceil", ceil, np.ceil),
    ("trunc", trunc, np.trunc),
    ("fix", fix, np.trunc),
]:
    register(OpInfo(_name, _fn, ref=_ref, samples=_rounding_samples, family="math", inplace=True))
register(
    OpInfo(
        "round",
        round,
        inplace=True,
        ref=np.round,
        samples=lambda rng: (
            _rounding_samples(rng)
            + [
                Sample(rng.uniform(-3, 3, (3, 4)) + 0.0123, decimals=1),
                Sample(rng.uniform(-300, 300, (5,)) + 1.23, decimals=-1),
            ]
        ),
        family="math",
    )
)


class Frac(Op):
    """x - trunc(x); the gradient passes through unchanged."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x):
        return x - np.trunc(x)  # frac(inf) is nan

    @staticmethod
    def backward(ctx, g, xp):
        return g


def frac(input) -> Tensor:
    """The fractional part ``input - trunc(input)`` (floating point tensors only).

    Example:
        >>> autograd.frac(autograd.tensor([-1.25, 2.5]))
        tensor([-0.2500,  0.5000])
    """
    (x,), _, _ = operands(input)
    if x._data.dtype.kind not in FLOAT_KINDS:
        _reject("frac", "frac_cpu", x, "integers have no fractional part")
    return Frac.apply(x)


register(
    OpInfo(
        "frac",
        frac,
        inplace=True,
        ref=lambda x: x - np.trunc(x),
        samples=_rounding_samples,
        family="math",
    )
)


# ---- binary: hypot / copysign / xlogy -----------------------------------------------------------
Hypot = binary_op(
    "Hypot",
    np.hypot,  # at (0, 0): 0/0 = nan, like torch
    lambda g, a, b, out, xp: g / out * a,
    lambda g, a, b, out, xp: g / out * b,
    "sqrt(a**2 + b**2) without overflow; d/da = a / out, d/db = b / out.",
    with_output=True,
)


def hypot(input, other) -> Tensor:
    """The hypotenuse ``sqrt(input**2 + other**2)`` (floating point tensors only).

    Example:
        >>> autograd.hypot(autograd.tensor([3.0]), autograd.tensor([4.0]))
        tensor([5.])
    """
    (a, b), _, _ = operands(input, other)
    if a._data.dtype.kind not in FLOAT_KINDS:
        _reject("hypot", "hypot_cpu", a, "convert with .float()")
    return Hypot.apply(a, b)


register(OpInfo("hypot", hypot, ref=np.hypot, torch_fn=torch_tensor_args("hypot"), **_FLOAT_PAIR))


class Copysign(Op):
    """|a| with the sign of b. d/da = out / a (+-1; 0 at a == 0, like torch), d/db = 0."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, a, b):
        out = np.copysign(a, b)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        a, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = None
        if need_a:
            # the ratio out / a is +-1; taking it from the sign product keeps it exact
            ratio = xp.sign(a) * xp.sign(out)
            ga = g * ratio
        return ga, (xp.zeros_like(g) if need_b else None)


def copysign(input, other) -> Tensor:
    """The magnitude of ``input`` with the sign of ``other`` (integers promote to float).

    Example:
        >>> autograd.copysign(autograd.tensor([1.0, -2.0]), -1)
        tensor([-1., -2.])
    """
    (a, b), _, _ = operands(input, other, floating=True)
    return Copysign.apply(a, b)


register(
    OpInfo(
        "copysign",
        copysign,
        inplace=True,
        ref=np.copysign,
        samples=binary_samples(0.2, 2.0, -2.0, 2.0),
        family="math",
    )
)


class Xlogy(Op):
    """x * log(y), defined as 0 where x == 0 (unless y is nan).

    d/dx = log(y) (0 where x == 0 and y <= 0, like torch), d/dy = x / y.
    """

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        out = x * np.log(y)
        return np.where((x == 0) & ~np.isnan(y), np.zeros_like(out), out)

    @staticmethod
    def backward(ctx, g, xp):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        gx = gy = None
        zero = xp.zeros_like(g)
        if need_x:
            gx = xp.where((x == 0) & (y <= 0), zero, g * xp.log(y))
        if need_y:
            gy = g * x / y
        return gx, gy


def _ref_xlogy(x, y):
    return _special().xlogy(x, y)


def xlogy(input, other) -> Tensor:
    """``input * log(other)``, taken as 0 where ``input == 0`` (so 0 * log(0) = 0).

    Example:
        >>> autograd.xlogy(autograd.tensor([0.0, 2.0]), autograd.tensor([0.0, 1.0]))
        tensor([0., 0.])
    """
    (x, y), _, _ = operands(input, other, floating=True)
    return Xlogy.apply(x, y)


_XLOGY_SAMPLES = binary_samples(-2.0, 2.0, 0.2, 3.0)  # y > 0, where log(y) is finite
register(
    OpInfo("xlogy", xlogy, inplace=True, ref=_ref_xlogy, samples=_XLOGY_SAMPLES, family="math")
)


# ---- nan_to_num ---------------------------------------------------------------------------------
class NanToNum(Op):
    """Replace nan/+inf/-inf by finite numbers; the gradient passes where the input is finite."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.finite = np.isfinite(x)  # a constant mask (depends on no differentiable value)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.where(xp.asarray(ctx.finite), g, xp.zeros_like(g))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None) -> Tensor:
    """Replace nan by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (default: the
    dtype's largest / smallest finite value). Integer tensors are returned unchanged.

    Example:
        >>> autograd.nan_to_num(autograd.tensor([float("nan"), 1.0]), nan=-1.0)
        tensor([-1.,  1.])
    """
    (x,), _, _ = operands(input)
    if x._data.dtype.kind not in FLOAT_KINDS:
        return Tensor._make(x._data.copy())
    info = np.finfo(x._data.dtype)  # the input's range (bfloat16 is computed in float32)
    return NanToNum.apply(
        x,
        nan=nan,
        posinf=float(info.max) if posinf is None else posinf,
        neginf=float(info.min) if neginf is None else neginf,
    )


def _nan_to_num_samples(rng):
    special = np.array([[np.nan, np.inf, -np.inf, 1.5], [-2.0, np.nan, 0.0, np.inf]])
    return [
        Sample(rng.normal(size=(3, 4))),
        Sample(rng.normal(size=())),
        Sample(special, no_grad_args=(0,)),
        Sample(special, nan=1.0, posinf=2.0, neginf=-3.0, no_grad_args=(0,)),
        Sample(special, neginf=-5.0, no_grad_args=(0,)),
    ]


register(
    OpInfo(
        "nan_to_num",
        nan_to_num,
        inplace=True,
        ref=np.nan_to_num,
        samples=_nan_to_num_samples,
        family="math",
    )
)
