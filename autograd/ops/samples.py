"""Sample generators shared by the ops' registry entries (the generic tests' inputs).

An ``OpInfo``'s ``samples`` is a function ``rng -> [Sample, ...]`` (float64 data; the tests
also run it in float32). An op with inputs of its own kind writes its samples in its block;
these are the shapes most elementwise ops share: a matrix, a 0-d, an empty and a vector
tensor, broadcast pairs, and values kept away from kinks and poles, where finite differences
(gradcheck) mean nothing.

Example:
    >>> import numpy as np
    >>> [s.args[0].shape for s in unary_samples(0.2, 3.0)(np.random.default_rng(0))]
    [(3, 4), (), (2, 0, 3), (5,)]
"""

from __future__ import annotations

import numpy as np

from .registry import Sample


def unary_samples(low=-2.0, high=2.0):
    """One tensor, uniform in [low, high]: (3, 4), 0-d, empty (2, 0, 3) and (5,)."""

    def gen(rng):
        return [
            Sample(rng.uniform(low, high, (3, 4))),
            Sample(rng.uniform(low, high, ())),
            Sample(rng.uniform(low, high, (2, 0, 3))),
            Sample(rng.uniform(low, high, (5,))),
        ]

    return gen


def binary_samples(low=-2.0, high=2.0, b_low=None, b_high=None):
    """Two operands (the second in [b_low, b_high]): same shape, both broadcast, one
    broadcast, 0-d with a matrix, and a tensor with a Python number."""
    b_low = low if b_low is None else b_low
    b_high = high if b_high is None else b_high

    def gen(rng):
        u = rng.uniform
        return [
            Sample(u(low, high, (3, 4)), u(b_low, b_high, (3, 4))),
            Sample(u(low, high, (3, 1)), u(b_low, b_high, (1, 4))),  # both broadcast
            Sample(u(low, high, (2, 3, 4)), u(b_low, b_high, (4,))),  # b broadcast
            Sample(u(low, high, ()), u(b_low, b_high, (2, 2))),  # 0-d with matrix
            Sample(u(low, high, (3,)), float(u(b_low, b_high))),
        ]  # Python scalar

    return gen


def away_from_zero_samples(low=0.2, high=2.0):
    """Unary samples with |x| in [low, high], for ops with a kink or a pole at 0."""

    def gen(rng):
        def away(shape):
            return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)

        return [Sample(away((3, 4))), Sample(away(())), Sample(away((2, 0, 3))), Sample(away((5,)))]

    return gen


def away_from(kinks, low=-3.0, high=3.0, margin=0.05):
    """Samples for piecewise functions: no point within ``margin`` of a kink; the generator
    takes keyword arguments for the op (see ``with_kwargs``)."""

    def draw(rng, shape):
        v = rng.uniform(low, high, shape)
        for _ in range(100):
            bad = np.zeros(np.shape(v), bool)
            for k in kinks:
                bad |= np.abs(v - k) < margin
            if not bad.any():
                break
            v = np.where(bad, rng.uniform(low, high, np.shape(v)), v)
        return np.asarray(v)

    def gen(rng, **kwargs):
        return [
            Sample(draw(rng, (3, 4)), **kwargs),
            Sample(draw(rng, ()), **kwargs),
            Sample(draw(rng, (2, 0, 3)), **kwargs),
            Sample(draw(rng, (2, 3, 5)), **kwargs),
        ]

    return gen


def with_kwargs(gen, *kwarg_sets):
    """The samples of ``gen`` once for every set of keyword arguments."""

    def out(rng):
        res = []
        for kw in kwarg_sets:
            res += gen(rng, **kw)
        return res

    return out


def over_dims(rng):
    """The start every dim-reducing op's samples share (sum, amax, max(dim), argmax ...): a
    (3, 4, 5) tensor ``x`` reduced whole, over dim 1, and over dim -1 keeping it. Returns
    ``x`` and those samples; the op adds its own cases with ``x`` and more draws of ``rng``.

    Example:
        >>> x, samples = over_dims(np.random.default_rng(0))
        >>> [s.args[1:] for s in samples]
        [(), (1,), (-1,)]
    """
    x = rng.normal(size=(3, 4, 5))
    return x, [Sample(x), Sample(x, 1), Sample(x, -1, keepdim=True)]


def random_signs(rng, b):
    """Flip the sign of a random half of ``b`` (an array or a Python float)."""
    if isinstance(b, np.ndarray):
        return b * rng.choice([-1.0, 1.0], b.shape)
    return -b


def distinct(rng, shape):
    """Distinct values (no ties: an arg-max is unique, so finite differences are defined)."""
    return rng.permutation(np.prod(shape, dtype=int)).reshape(shape) * 0.1 + rng.uniform(
        0, 0.01, shape
    )


def normal(rng, shape):
    """Standard normal values of ``shape`` (None for a shape None: an absent optional tensor
    such as a bias); a ``draw`` for ``shaped_samples``, like ``distinct``."""
    return None if shape is None else rng.normal(size=shape)


def shaped_samples(draw, *rows, arrays=1):
    """Samples from a table, one row per call: the shapes of the first ``arrays`` arguments
    (each made by ``draw(rng, shape)``, in order), the other positional arguments, and
    optionally a dict of keyword arguments last. The 1-d / 2-d / 3-d variants of an op write
    their samples as such tables instead of repeating ``Sample(rng.normal(size=...), ...)``.

    Example:
        >>> gen = shaped_samples(normal, ((2, 3), 1), ((4,), 0, dict(keepdim=True)))
        >>> gen(np.random.default_rng(0))
        [(array(2, 3), 1), (array(4,), 0, keepdim=True)]
    """

    def gen(rng):
        out = []
        for row in rows:
            args = list(row)
            kwargs = args.pop() if isinstance(args[-1], dict) else {}
            drawn = [draw(rng, shape) for shape in args[:arrays]]
            out.append(Sample(*drawn, *args[arrays:], **kwargs))
        return out

    return gen
