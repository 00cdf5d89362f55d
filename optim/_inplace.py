"""The in-place NumPy building blocks the routines of ``optim._functional`` are written with.

Each takes arrays (a block of a parameter, its gradient, its state buffers, and scratch
space) and writes its result into one of them: no temporaries, so an update of a block
costs a few passes over memory that stays in the CPU cache (``_blocks``). Where a step has
a formula, it is torch's (``_lerp_`` is torch's two-sided ``lerp``), so trajectories agree
with torch to rounding.

Example:
    >>> import numpy as np
    >>> m, g, tmp = np.zeros(2), np.array([1.0, 2.0]), np.empty(2)
    >>> _lerp_(m, g, 0.1, tmp)  # m = m + 0.1 * (g - m)
    >>> m
    array([0.1, 0.2])
"""

import numpy as np

from autograd import dispatch

_BLOCK = 1 << 15  # elements per block: a block of every operand fits in the L2 cache


def _scratch(like: np.ndarray, size, slot: int, workspace) -> np.ndarray:
    """A scratch array with ``like``'s dtype and ``size`` (an int or a shape); reused across
    calls when a workspace dict is given."""
    if workspace is None:
        return np.empty(size, like.dtype)
    key = (size, like.dtype.str, slot)
    buf = workspace.get(key)
    if buf is None:
        buf = workspace[key] = np.empty(size, like.dtype)
    return buf


def _blocks(arrays, n_scratch, workspace):
    """Yield aligned pieces of ``arrays`` (same shape, the first is the parameter) followed
    by ``n_scratch`` scratch pieces of the same size.

    C-contiguous operands are cut into flat blocks of ``_BLOCK`` elements; otherwise (e.g.
    a broadcast gradient) the whole arrays are yielded once.
    """
    first = arrays[0]
    if all(a.flags.c_contiguous for a in arrays):
        n = first.size
        # with a workspace, one block-sized scratch per slot serves every parameter
        size = _BLOCK if workspace is not None else min(n, _BLOCK)
        scratch = [_scratch(first, size, slot, workspace) for slot in range(n_scratch)]
        flats = [a.reshape(-1) for a in arrays]
        for s in range(0, n, _BLOCK):
            e = min(n, s + _BLOCK)
            yield [f[s:e] for f in flats] + [t[: e - s] for t in scratch]
    else:
        yield list(arrays) + [
            _scratch(first, first.shape, slot + 100, workspace) for slot in range(n_scratch)
        ]


def _effective_grad(param, grad, weight_decay, maximize, out):
    """``(-grad if maximize else grad) + weight_decay * param``, written to ``out`` when it
    differs from ``grad`` (which belongs to the caller's ``p.grad`` and is never changed)."""
    if not maximize and weight_decay == 0:
        return grad
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=out)
        if maximize:
            np.subtract(out, grad, out=out)
        else:
            np.add(out, grad, out=out)
    else:
        np.negative(grad, out=out)
    return out


def _lerp_(start, end, weight: float, tmp) -> None:
    """``start = start + weight * (end - start)`` in place, with torch's two-sided formula
    (for ``weight >= 0.5`` it computes ``end - (end - start) * (1 - weight)``, which is the
    more accurate side)."""
    np.subtract(end, start, out=tmp)
    if abs(weight) < 0.5:
        np.multiply(tmp, weight, out=tmp)
        np.add(start, tmp, out=start)
    else:
        np.multiply(tmp, 1.0 - weight, out=tmp)
        np.subtract(end, tmp, out=start)


def _ema_sq_(avg, grad, decay: float, tmp) -> None:
    """``avg = decay * avg + (1 - decay) * grad * grad`` (torch's ``mul_`` + ``addcmul_``)."""
    np.multiply(avg, decay, out=avg)
    np.multiply(grad, 1 - decay, out=tmp)
    np.multiply(tmp, grad, out=tmp)
    np.add(avg, tmp, out=avg)


def _add_scaled_(p, x, value, tmp) -> None:
    """``p += value * x`` in place (``tmp`` is scratch space, and may be ``x``)."""
    np.multiply(x, value, out=tmp)
    np.add(p, tmp, out=p)


def _addcdiv_(p, num, den, value, tmp) -> None:
    """``p += value * (num / den)`` in place, torch's ``addcdiv_`` (``tmp`` may be ``den``)."""
    np.divide(num, den, out=tmp)
    np.multiply(tmp, value, out=tmp)
    np.add(p, tmp, out=p)


def _weight_decay_split(lr, weight_decay, decoupled):
    """(weight decay added to the gradient, factor applied to the weights or None): coupled
    decay is ``g + wd * p``, decoupled decay ``p *= 1 - lr * wd``."""
    if weight_decay != 0 and decoupled:
        return 0, 1 - lr * weight_decay
    return weight_decay, None


def _adam_moments_(p, g, exp_avg, exp_avg_sq, t0, t, decay, grad_wd, maximize, beta1, beta2):
    """The start of an Adam/NAdam/RAdam step on one block, in place: decoupled weight decay
    (``p *= decay``, unless ``decay`` is None), the effective gradient (written to ``t0`` when
    it differs from ``g``), then both moments. Returns the gradient used."""
    if decay is not None:
        np.multiply(p, decay, out=p)
    g = _effective_grad(p, g, grad_wd, maximize, t0)
    _lerp_(exp_avg, g, 1 - beta1, t)
    _ema_sq_(exp_avg_sq, g, beta2, t)
    return g


def _kernels_for(K, arrays):
    """The optim kernel module for one parameter's ``arrays`` (None: the NumPy path).

    Foreach-style, a routine looks the module up once per call, not per parameter: ``K``, the
    previous parameter's module, is kept when it takes these arrays too (its ``supports`` is
    cheap); otherwise (the first parameter, or after one the kernels did not take, e.g. a
    float16 or strided one) ``dispatch.kernels`` is asked."""
    if K is not None and K.supports(*arrays):
        return K
    return dispatch.kernels("optim", *arrays)


def _bump(step: np.ndarray) -> float:
    """Increment a 0-d step counter in place; return the new value as a Python float.
    (Item assignment rounds ``step + 1`` to the counter's dtype exactly as ``step += 1``
    does, at a tenth of the cost of a ufunc call on a 0-d array.)"""
    step[()] = float(step) + 1.0
    return float(step)
