"""Random sampling: ``multinomial``, ``bernoulli``, ``poisson``, ``normal`` and the in-place
fills ``uniform_``, ``normal_``, ``bernoulli_``, ``exponential_``, ``geometric_``,
``random_``, ``cauchy_``, ``log_normal_``.

Every draw comes from ``autograd.random.default_generator`` (seeded by
``autograd.manual_seed``) or from the ``generator=`` given, so a seed fixes a whole run.
The distributions and argument checks are torch's (its messages too); the bits are not —
NumPy's PCG64 is not torch's Mersenne Twister — so tests compare distributions with
goodness-of-fit tests, not values (tests/test_sampling.py).

Gradients, as in torch: ``normal(mean, std)`` with tensor arguments is the
reparameterisation ``mean + std * eps`` (gradient 1 for ``mean``, ``eps`` for ``std``);
``bernoulli`` and ``poisson`` pass a zero gradient to their rates; integer samples
(``multinomial``) have none.

Example:
    >>> import autograd
    >>> g = autograd.Generator().manual_seed(0)
    >>> probs = autograd.tensor([0.1, 0.0, 0.9])
    >>> autograd.multinomial(probs, 4, replacement=True, generator=g).tolist()  # never 1
    [2, 2, 0, 0]
"""

from __future__ import annotations

import numpy as np

from .. import devices as _devices
from .. import dtypes as _dt
from ..function import Op
from ..forward_ad import elementwise_jvp
from ..grad_mode import _grad_enabled
from ..random import _gen
from ..tensor import Tensor
from ._util import broadcast_shapes, cast
from ..dtypes import FLOAT_KINDS

__all__ = [
    "multinomial",
    "bernoulli",
    "poisson",
    "normal",
    "uniform_",
    "normal_",
    "bernoulli_",
    "exponential_",
    "geometric_",
    "random_",
    "cauchy_",
    "log_normal_",
]


def _num(x) -> str:
    """A number as torch's messages print it (C++ stream formatting: 2.0 -> '2')."""
    return f"{x:g}" if isinstance(x, float) else str(x)


def _not_implemented(kernel: str, dtype) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_dt.torch_name(dtype)}'")


def _require_float(t: Tensor, kernel: str):
    if t._data.dtype.kind not in FLOAT_KINDS:
        raise _not_implemented(kernel, t.dtype)


class _ZeroGradSample(Op):
    """A sample whose rate parameters get a zero gradient (torch's BernoulliBackward0 and
    PoissonBackward0): the sample is drawn by the caller and passed in as ``sample``."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, rates, sample=None):
        return sample

    @staticmethod
    def backward(ctx, g, xp):
        return xp.zeros_like(g)


class Bernoulli(_ZeroGradSample):
    pass


class Poisson(_ZeroGradSample):
    pass


def _sampled(op, rates: Tensor, sample: np.ndarray) -> Tensor:
    if rates._requires_grad and _grad_enabled.get():
        return op.apply(rates, sample=sample)
    return Tensor._make(sample)


# ---- sampling functions ------------------------------------------------------------------------
def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """Draw category indices with probabilities proportional to the rows of ``input``.

    ``input`` is 1-D (one distribution) or 2-D (one per row), non-negative weights that need
    not sum to 1. Without replacement each index appears at most once per row (an index of
    weight 0 only once the others are used up, as in torch). Returns int64 of shape
    ``(num_samples,)`` or ``(rows, num_samples)``.

    Example:
        >>> autograd.manual_seed(0)  # doctest: +ELLIPSIS
        <...>
        >>> autograd.multinomial(autograd.tensor([0.0, 1.0, 3.0]), 2).sort().values.tolist()
        [1, 2]
    """
    if not isinstance(num_samples, (int, np.integer)) or isinstance(num_samples, bool):
        raise TypeError(
            f"multinomial(): argument 'num_samples' (position 2) must be int, not "
            f"{type(num_samples).__name__}"
        )
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if input._data.dtype.kind not in FLOAT_KINDS:
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: "
            f"{_dt.torch_name(input.dtype)}"
        )
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n = input.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if n > 2**24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    rows = input._data.reshape(-1, n).astype(np.float64)
    if rows.size and not (np.isfinite(rows).all() and (rows >= 0).all()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if rows.shape[0] and (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _gen(generator)
    if replacement:
        # inverse CDF: u in [0, 1) falls in category i when cdf[i-1] <= u < cdf[i], so a
        # category of weight 0 (an empty interval) is never drawn
        cdf = np.cumsum(rows, axis=1)
        cdf /= cdf[:, -1:]
        u = rng.random((rows.shape[0], num_samples))
        out = (
            np.stack([np.searchsorted(c, ur, side="right") for c, ur in zip(cdf, u)])
            if rows.shape[0]
            else np.empty((0, num_samples), np.int64)
        )
        out = np.minimum(out, n - 1)
    else:
        # exponential races: category i "arrives" at E_i / p_i with E_i ~ Exp(1); the first
        # k arrivals are a draw without replacement (each next one proportional to the
        # weights left). Weight 0 arrives at infinity, i.e. last, in index order.
        with np.errstate(divide="ignore"):
            keys = rng.exponential(size=rows.shape) / rows
        out = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    out = out.astype(np.int64)
    return Tensor._make(out[0] if input.ndim == 1 else out)


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """0/1 samples: 1 with probability ``input`` (elementwise), or with probability ``p``
    for every element when ``p`` is given. Same shape and dtype as ``input``.

    Example:
        >>> autograd.bernoulli(autograd.tensor([0.0, 1.0, 1.0])).tolist()
        [0.0, 1.0, 1.0]
    """
    if p is None:
        _require_float(input, "bernoulli_tensor_cpu_p_")
        prob = input._data
        if not ((prob >= 0) & (prob <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    else:
        prob = _check_p(p)
    sample = (_gen(generator).random(input._data.shape) < prob).astype(input._data.dtype)
    return _sampled(Bernoulli, input, sample)


def poisson(input, generator=None) -> Tensor:
    """Poisson samples with rates ``input`` (elementwise); same dtype as ``input``.

    Example:
        >>> autograd.poisson(autograd.tensor([0.0, 0.0])).tolist()
        [0.0, 0.0]
    """
    _require_float(input, "poisson_cpu")
    rates = input._data
    if not (rates >= 0).all():  # (nan fails too)
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    try:
        sample = _gen(generator).poisson(rates.astype(np.float64))
    except ValueError as e:  # NumPy's bound on the rate (about 9.2e18)
        raise RuntimeError(f"invalid Poisson rate: {e}") from None
    return _sampled(Poisson, input, sample.astype(rates.dtype))


_NORMAL_SIGNATURES = (
    " * (Tensor mean, Tensor std, *, torch.Generator generator = None, Tensor out = None)\n"
    " * (Tensor mean, float std = 1, *, torch.Generator generator = None, Tensor out = None)\n"
    " * (float mean, Tensor std, *, torch.Generator generator = None, Tensor out = None)\n"
    " * (float mean, float std, tuple of ints size, *, torch.Generator generator = None, "
    "Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device "
    "device = None, bool pin_memory = False, bool requires_grad = False)\n"
)


def normal(
    mean,
    std=1.0,
    size=None,
    *,
    generator=None,
    dtype=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> Tensor:
    """Normal samples, with torch's four forms:

    * ``normal(mean_tensor, std_tensor)``: one sample per element (broadcast);
    * ``normal(mean_tensor, std=1.0)`` and ``normal(mean_float, std_tensor)``;
    * ``normal(mean_float, std_float, size)``: a new tensor of that size.

    With tensor arguments the result is ``mean + std * eps`` and differentiable w.r.t. both
    (the reparameterisation trick), with the dtype of ``mean`` (of ``std`` if only it is
    a tensor).

    Example:
        >>> autograd.normal(2.0, 0.0, size=(3,)).tolist()
        [2.0, 2.0, 2.0]
        >>> m = autograd.zeros(2, requires_grad=True)
        >>> autograd.normal(m, 1.0).sum().backward(); m.grad
        tensor([1., 1.])
    """

    def scalar(x):  # a number, or a 0-d tensor used as one (torch accepts it)
        return not isinstance(x, Tensor) or (x.ndim == 0 and size is not None)

    if scalar(mean) and scalar(std):
        if size is None or isinstance(size, (int, np.integer)):
            given = (mean, std) + (() if size is None else (size,))
            got = ", ".join(type(a).__name__ for a in given)
            raise TypeError(
                f"normal() received an invalid combination of arguments - got ({got}),"
                f" but expected one of:\n{_NORMAL_SIGNATURES}"
            )
        _devices.check(device, fn="normal")
        _devices.check_pin_memory(pin_memory)
        m, s = float(mean), float(std)
        if not s >= 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(s)}")
        dt = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
        shape = tuple(int(n) for n in size)
        out = Tensor._make((m + s * _gen(generator).standard_normal(shape)).astype(dt.np))
        return out.requires_grad_(True) if requires_grad else out
    if size is not None:
        got = ", ".join(
            type(a).__name__ if not isinstance(a, Tensor) else "Tensor" for a in (mean, std, size)
        )
        raise TypeError(
            f"normal() received an invalid combination of arguments - got ({got}), "
            f"but expected one of:\n{_NORMAL_SIGNATURES}"
        )
    like = mean if isinstance(mean, Tensor) else std
    _require_float(like, "normal_kernel_cpu")
    dt = like.dtype
    if isinstance(std, Tensor):
        if not (std._data >= 0).all():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif not float(std) >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(float(std))}")
    m = mean if isinstance(mean, Tensor) else Tensor._make(np.asarray(mean, dt.np))
    s = std if isinstance(std, Tensor) else Tensor._make(np.asarray(std, dt.np))
    shape = broadcast_shapes(m._data.shape, s._data.shape)
    eps = _gen(generator).standard_normal(shape).astype(dt.np)
    if (
        _grad_enabled.get()
        and (m._requires_grad or s._requires_grad)
        or m._fw is not None
        or s._fw is not None
    ):  # (reverse mode, or forward mode: no_grad does not stop it)
        return cast(m, dt) + cast(s, dt) * Tensor._make(eps)
    return Tensor._make((m._data + s._data * eps).astype(dt.np))


# ---- in-place fills ----------------------------------------------------------------------------
def _fill(self: Tensor, sample) -> Tensor:
    """Write ``sample`` into ``self`` like ``copy_``: torch's in-place checks, version bump,
    views; when recorded, the old value gets a zero gradient."""
    from .inplace import copy_

    return copy_(self, Tensor._make(np.asarray(sample)))


def _check_p(p) -> float:
    p = float(p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_num(p)}")
    return p


def uniform_(self: Tensor, from_=0.0, to=1.0, *, generator=None) -> Tensor:
    """Fill with samples from U[from, to).

    Example:
        >>> x = autograd.empty(1000).uniform_(-1, 1); bool(((x >= -1) & (x < 1)).all())
        True
    """
    if self._data.dtype.kind not in FLOAT_KINDS:
        raise _not_implemented("check_uniform_bounds", self.dtype)
    if from_ > to:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found "
            f"from={_num(from_)} > to={_num(to)}"
        )
    top = float(np.finfo(self._data.dtype).max)
    for name, v in (("from", from_), ("to", to)):
        if not -top <= v <= top:
            raise RuntimeError(f"{name} is out of bounds for {_C_NAMES[self._data.dtype.name]}")
    return _fill(self, _gen(generator).uniform(from_, to, self._data.shape))


def normal_(self: Tensor, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    """Fill with samples from N(mean, std**2)."""
    if self._data.dtype.kind not in FLOAT_KINDS:
        raise _not_implemented("normal_kernel_cpu", self.dtype)
    if not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
    return _fill(self, mean + std * _gen(generator).standard_normal(self._data.shape))


def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fill with 0/1, 1 with probability ``p`` (a number, or a tensor that broadcasts to
    ``self``). Any dtype."""
    if isinstance(p, Tensor):
        _require_float(p, "bernoulli_tensor_cpu_p_")
        from .movement import expand

        prob = expand(p.detach(), self._data.shape)._data  # (torch's expand error on mismatch)
        if not ((prob >= 0) & (prob <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    else:
        prob = _check_p(p)
    return _fill(self, _gen(generator).random(self._data.shape) < prob)


def _continuous(self: Tensor, name: str, cname: bool = False):
    if self._data.dtype.kind not in FLOAT_KINDS:
        what = _C_NAMES[self._data.dtype.name] if cname else _dt.torch_name(self.dtype)
        raise RuntimeError(
            f"{name} distribution is a continuous probability distribution. dtype "
            f"must be a floating point but you specified {what}"
        )


def exponential_(self: Tensor, lambd=1.0, *, generator=None) -> Tensor:
    """Fill with samples from the exponential distribution of rate ``lambd`` (mean 1/lambd)."""
    _continuous(self, "Exponential")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_num(lambd)}")
    return _fill(self, _gen(generator).exponential(1.0 / lambd, self._data.shape))


def geometric_(self: Tensor, p, *, generator=None) -> Tensor:
    """Fill with the number of Bernoulli(p) trials up to and including the first success
    (values 1, 2, ...)."""
    if self._data.dtype.kind == "b":
        raise _not_implemented("geometric_cpu", self.dtype)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_num(p)}")
    return _fill(self, _gen(generator).geometric(p, self._data.shape))


def cauchy_(self: Tensor, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
    """Fill with samples from the Cauchy distribution ``median + sigma * tan(pi (u - 1/2))``."""
    _continuous(self, "Cauchy", cname=True)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_num(sigma)}")
    return _fill(self, median + sigma * _gen(generator).standard_cauchy(self._data.shape))


def log_normal_(self: Tensor, mean=1.0, std=2.0, *, generator=None) -> Tensor:
    """Fill with ``exp(N(mean, std**2))`` samples (``mean``/``std`` are of the logarithm)."""
    if self._data.dtype.kind not in FLOAT_KINDS:
        raise _not_implemented("log_normal_cpu", self.dtype)
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_num(std)}")
    return _fill(self, _gen(generator).lognormal(mean, std, self._data.shape))


# C type names, as torch's bound errors print them
_C_NAMES = {
    "bool": "bool",
    "uint8": "unsigned char",
    "int8": "signed char",
    "int16": "short",
    "int32": "int",
    "int64": "long int",
    "float16": "c10::Half",
    "float32": "float",
    "float64": "double",
}


def random_(self: Tensor, from_=None, to=None, *, generator=None) -> Tensor:
    """Fill with integers uniform in [from, to): ``random_(to)``, ``random_(from, to)``, or
    ``random_()`` for [0, largest value the dtype holds exactly] (2**24 for float32, 2**53 for
    float64, the maximum for integer dtypes, {0, 1} for bool).

    Example:
        >>> x = autograd.zeros(100, dtype=autograd.int64).random_(3, 5); sorted(set(x.tolist()))
        [3, 4]
    """
    for v in (from_, to):
        if v is not None and (not isinstance(v, (int, np.integer)) or isinstance(v, bool)):
            raise TypeError(f"random_(): 'from' and 'to' must be ints, got {type(v).__name__}")
    npdt = self._data.dtype
    if npdt.kind in FLOAT_KINDS:
        top = 2 ** (np.finfo(npdt).nmant + 1)  # every integer up to here is exact
    elif npdt.kind == "b":
        top = 1
    else:
        top = int(np.iinfo(npdt).max)
    if from_ is None:
        from_, to = 0, (top + 1 if to is None else to)
    elif to is None:  # random_(to): a single argument is the exclusive upper bound
        from_, to = 0, from_
    if from_ >= to:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}"
        )
    if npdt.kind in "iub":
        lo = 0 if npdt.kind == "b" else int(np.iinfo(npdt).min)
        if not lo <= from_ <= top:
            raise RuntimeError(f"from is out of bounds for {_C_NAMES[npdt.name]}")
        if not lo <= to - 1 <= top:
            raise RuntimeError(f"to - 1 is out of bounds for {_C_NAMES[npdt.name]}")
    sample = _gen(generator).integers(from_, to, self._data.shape, dtype=np.int64)
    return _fill(self, sample.astype(npdt))
