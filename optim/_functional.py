"""The update math of every optimizer, one functional routine each (as ``torch.optim`` has
``torch.optim.adam.adam`` ...).

Each routine takes lists of NumPy arrays -- parameters, gradients, state buffers, and
0-d ``step`` counters -- and updates them *in place*. No Tensor is created here, so a fused
Numba kernel (one pass over each parameter, no temporaries) can replace a routine without
touching the optimizer classes; both must give the same numbers.

The operations follow torch's single-tensor (``foreach=False``) implementation in the same
order, so trajectories agree with torch to rounding: e.g. Adam's first moment uses
``lerp`` (``m + w * (g - m)``), not ``beta1 * m + (1 - beta1) * g``.

Speed: NumPy needs one pass over memory per operation (Adam: 13). To keep those passes in
the CPU cache, contiguous parameters are processed in blocks of ``_BLOCK`` elements
(``optim._inplace``, with the in-place steps the routines share): each block goes through
all the operations before the next one is loaded. Elementwise math
does not depend on the blocking, so the results are identical to whole-array updates.
The routines need one or two scratch arrays; pass a dict as ``workspace`` to reuse them
between steps (without it they are allocated per call).

Example:
    >>> import numpy as np
    >>> p, g = np.array([1.0]), np.array([0.5])
    >>> sgd([p], [g], [None], weight_decay=0.0, momentum=0.0, lr=0.1, dampening=0.0,
    ...     nesterov=False, maximize=False)
    >>> p
    array([0.95])
"""

import math

import numpy as np

from ._inplace import (
    _add_scaled_,
    _addcdiv_,
    _adam_moments_,
    _blocks,
    _bump,
    _effective_grad,
    _ema_sq_,
    _kernels_for,
    _lerp_,
    _weight_decay_split,
)

__all__ = [
    "sgd",
    "sgd_plain",
    "adam",
    "adamw",
    "rmsprop",
    "adagrad",
    "nadam",
    "radam",
    "adamax",
    "adadelta",
    "rprop",
    "asgd",
    "adafactor",
    "sparse_adam",
]


# ---- SGD ---------------------------------------------------------------------------
def sgd(
    params,
    grads,
    momentum_buffer_list,
    *,
    weight_decay,
    momentum,
    lr,
    dampening,
    nesterov,
    maximize,
    workspace=None,
):
    """Stochastic gradient descent with optional momentum / Nesterov.

    ``g = grad + wd * p``; ``buf = momentum * buf + (1 - dampening) * g`` (``buf = g`` at the
    first step); ``g = g + momentum * buf`` if nesterov else ``buf``; ``p -= lr * g``.
    ``momentum_buffer_list[i]`` is None before the first step and is filled in here.
    """
    if momentum == 0:  # no state: the same numbers as the loop below would give
        sgd_plain(
            params, grads, lr=lr, weight_decay=weight_decay, maximize=maximize, workspace=workspace
        )
        return
    # foreach-style, as in adam: the kernel's constant arguments converted once per call
    hyper = float(lr), float(momentum), float(dampening), float(weight_decay)
    hyper += bool(nesterov), bool(maximize)
    K = None
    for i, param in enumerate(params):
        first = momentum_buffer_list[i] is None
        if first:
            momentum_buffer_list[i] = np.empty_like(param)
        arrays = [param, grads[i], momentum_buffer_list[i]]
        K = _kernels_for(K, arrays)
        if K is not None:  # numba backend: the same update in one pass
            # (C-contiguous: the ravels are views)
            K.sgd_momentum_update(*[a.ravel() for a in arrays], first, *hyper)
            continue
        for p, g, buf, t0, t1 in _blocks(arrays, 2, workspace):
            g = _effective_grad(p, g, weight_decay, maximize, t0)
            if first:
                np.copyto(buf, g)
            else:
                np.multiply(buf, momentum, out=buf)
                if dampening == 0:
                    np.add(buf, g, out=buf)
                else:
                    np.multiply(g, 1 - dampening, out=t1)
                    np.add(buf, t1, out=buf)
            if nesterov:
                np.multiply(buf, momentum, out=t1)
                np.add(g, t1, out=t1)
                g = t1
            else:
                g = buf
            _add_scaled_(p, g, -lr, t1)


def sgd_plain(params, grads, *, lr, weight_decay, maximize, workspace=None):
    """``sgd`` with ``momentum=0`` (plain SGD, no state): ``p -= lr * (grad + wd * p)`` for
    every parameter (``sgd`` with ``momentum=0`` calls it), with little Python per parameter.

    A small model's step spends more time in the per-parameter Python around the update than
    in the update itself. So, foreach-style, the hyper-parameters are converted once per
    call and the kernel module is looked up once, not per parameter: each parameter only
    asks it whether it takes its arrays (``supports``); one that it does not take (e.g. a
    float16 parameter) goes through the NumPy path, as in ``sgd``.

    Example:
        >>> p, g = np.array([1.0]), np.array([0.5])
        >>> sgd_plain([p], [g], lr=0.1, weight_decay=0.0, maximize=False)
        >>> p
        array([0.95])
    """
    hyper = float(lr), float(weight_decay), bool(maximize)  # (as the kernel takes them)
    K = None
    for param, grad in zip(params, grads):
        K = _kernels_for(K, (param, grad))  # (None: the NumPy path)
        if K is None:
            _sgd_plain_numpy(param, grad, lr, weight_decay, maximize, workspace)
        else:
            K.sgd_update(param.ravel(), grad.ravel(), *hyper)  # (C-contiguous: views)


def _sgd_plain_numpy(param, grad, lr, weight_decay, maximize, workspace) -> None:
    """The NumPy reference of one plain SGD update (``sgd`` with ``momentum=0``)."""
    for p, g, t in _blocks([param, grad], 1, workspace):
        g = _effective_grad(p, g, weight_decay, maximize, t)
        _add_scaled_(p, g, -lr, t)


# ---- Adam / AdamW -----------------------------------------------------------------
def adam(
    params,
    grads,
    exp_avgs,
    exp_avg_sqs,
    max_exp_avg_sqs,
    state_steps,
    *,
    amsgrad,
    beta1,
    beta2,
    lr,
    weight_decay,
    eps,
    maximize,
    decoupled_weight_decay=False,
    workspace=None,
):
    """Adam (Kingma & Ba) with torch's bias correction; AdamW when ``decoupled_weight_decay``.

    ``m = lerp(m, g, 1 - beta1)``; ``v = beta2 * v + (1 - beta2) * g * g``;
    ``p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)``, with ``v``
    replaced by its running maximum if ``amsgrad``. Decoupled decay first does
    ``p *= 1 - lr * wd``; coupled decay adds ``wd * p`` to the gradient.
    """
    grad_wd, decay = _weight_decay_split(lr, weight_decay, decoupled_weight_decay)
    # foreach-style, as in sgd_plain: the kernel's constant arguments converted once per call
    # and the kernel module looked up once, each parameter only asking whether it takes its
    # arrays (one it does not take goes through the NumPy path)
    fixed = float(beta1), float(beta2), float(lr), float(weight_decay), float(eps)
    flags = bool(decoupled_weight_decay), bool(maximize)
    K = None
    for i, param in enumerate(params):
        step = _bump(state_steps[i])
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        arrays = [param, grads[i], exp_avgs[i], exp_avg_sqs[i]]
        if amsgrad:
            arrays.append(max_exp_avg_sqs[i])
        K = _kernels_for(K, arrays)
        if K is not None:  # numba backend: the same update in one pass
            kern = K.adam_amsgrad_update if amsgrad else K.adam_update
            kern(
                *[a.ravel() for a in arrays],  # (C-contiguous: views)
                *fixed,
                float(bias_correction2_sqrt),
                float(step_size),
                *flags,
            )
            continue
        for p, g, exp_avg, exp_avg_sq, *rest in _blocks(arrays, 2, workspace):
            *max_sq, t0, t = rest
            g = _adam_moments_(
                p, g, exp_avg, exp_avg_sq, t0, t, decay, grad_wd, maximize, beta1, beta2
            )
            if amsgrad:
                np.maximum(max_sq[0], exp_avg_sq, out=max_sq[0])
                second = max_sq[0]
            else:
                second = exp_avg_sq
            denom = t
            np.sqrt(second, out=denom)
            np.divide(denom, bias_correction2_sqrt, out=denom)
            np.add(denom, eps, out=denom)
            _addcdiv_(p, exp_avg, denom, -step_size, denom)


def adamw(params, grads, *states, **hyperparameters):
    """AdamW (Loshchilov & Hutter): Adam with decoupled weight decay ``p *= 1 - lr * wd``,
    i.e. ``adam`` with ``decoupled_weight_decay=True``; every other argument is ``adam``'s.

    Example:
        >>> adamw([p], [g], [m], [v], [], [step], amsgrad=False, beta1=0.9, beta2=0.999,
        ...       lr=1e-3, weight_decay=1e-2, eps=1e-8, maximize=False)
    """
    adam(params, grads, *states, **hyperparameters, decoupled_weight_decay=True)


# ---- RMSprop -----------------------------------------------------------------------
def rmsprop(
    params,
    grads,
    square_avgs,
    grad_avgs,
    momentum_buffer_list,
    state_steps,
    *,
    lr,
    alpha,
    eps,
    weight_decay,
    momentum,
    centered,
    maximize,
    workspace=None,
):
    """RMSprop (Hinton): ``v = alpha * v + (1 - alpha) * g * g``; ``avg = sqrt(v) + eps``
    (centered: ``sqrt(v - mean(g)**2) + eps``); ``p -= lr * g / avg``, or with momentum
    ``buf = momentum * buf + g / avg``; ``p -= lr * buf``."""
    # foreach-style, as in adam: the kernel's arguments after the arrays converted once, and
    # the kernel named once (its module is looked up per parameter only when it changes)
    hyper = (float(lr), float(alpha), float(eps), float(weight_decay))
    hyper += (float(momentum),) if momentum > 0 else ()
    hyper += (bool(maximize),)
    if momentum > 0:
        kernel = "rmsprop_centered_momentum_update" if centered else "rmsprop_momentum_update"
    else:
        kernel = "rmsprop_centered_update" if centered else "rmsprop_update"
    K = None
    for i, param in enumerate(params):
        _bump(state_steps[i])
        arrays = [param, grads[i], square_avgs[i]]
        if centered:
            arrays.append(grad_avgs[i])
        if momentum > 0:
            arrays.append(momentum_buffer_list[i])
        K = _kernels_for(K, arrays)
        if K is not None:  # numba backend: the same update in one pass
            getattr(K, kernel)(*[a.ravel() for a in arrays], *hyper)  # (C-contiguous: views)
            continue
        for p, g, square_avg, *rest in _blocks(arrays, 2, workspace):
            *bufs, t0, avg = rest
            g = _effective_grad(p, g, weight_decay, maximize, t0)
            _ema_sq_(square_avg, g, alpha, avg)
            if centered:
                grad_avg = bufs[0]
                _lerp_(grad_avg, g, 1 - alpha, avg)
                np.multiply(grad_avg, grad_avg, out=avg)
                np.subtract(square_avg, avg, out=avg)
                np.sqrt(avg, out=avg)
            else:
                np.sqrt(square_avg, out=avg)
            np.add(avg, eps, out=avg)
            if momentum > 0:
                buf = bufs[-1]
                np.multiply(buf, momentum, out=buf)
                np.divide(g, avg, out=avg)
                np.add(buf, avg, out=buf)
                np.multiply(buf, -lr, out=avg)
            else:
                np.divide(g, avg, out=avg)
                np.multiply(avg, -lr, out=avg)
            np.add(p, avg, out=p)


# ---- Adagrad -----------------------------------------------------------------------
def adagrad(
    params,
    grads,
    state_sums,
    state_steps,
    *,
    lr,
    weight_decay,
    lr_decay,
    eps,
    maximize,
    workspace=None,
):
    """Adagrad (Duchi et al.): ``s += g * g``; ``p -= lr / (1 + (t - 1) * lr_decay) * g /
    (sqrt(s) + eps)``."""
    fixed = float(weight_decay), float(eps), bool(maximize)  # (foreach-style, as in adam)
    K = None
    for i, param in enumerate(params):
        step = _bump(state_steps[i])
        clr = lr / (1 + (step - 1) * lr_decay)
        arrays = [param, grads[i], state_sums[i]]
        K = _kernels_for(K, arrays)
        if K is not None:  # numba backend: the same update in one pass
            K.adagrad_update(*[a.ravel() for a in arrays], float(clr), *fixed)  # (views)
            continue
        for p, g, state_sum, t0, std in _blocks(arrays, 2, workspace):
            g = _effective_grad(p, g, weight_decay, maximize, t0)
            np.multiply(g, g, out=std)
            np.add(state_sum, std, out=state_sum)
            np.sqrt(state_sum, out=std)
            np.add(std, eps, out=std)
            _addcdiv_(p, g, std, -clr, std)


# ---- NAdam -------------------------------------------------------------------------
def nadam(
    params,
    grads,
    exp_avgs,
    exp_avg_sqs,
    mu_products,
    state_steps,
    *,
    beta1,
    beta2,
    lr,
    weight_decay,
    momentum_decay,
    eps,
    decoupled_weight_decay,
    maximize,
    workspace=None,
):
    """NAdam (Dozat): Adam with Nesterov momentum and the momentum schedule
    ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))``.

    ``mu_products[i]`` is a 0-d array holding ``prod(mu_1..mu_t)`` in the scalar dtype
    (float32 unless the default dtype is float64, as in torch); it is updated in place.
    """
    grad_wd, decay = _weight_decay_split(lr, weight_decay, decoupled_weight_decay)
    for i, param in enumerate(params):
        step = _bump(state_steps[i])
        bias_correction2 = 1 - beta2**step
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product = mu_products[i]
        mu_product *= mu  # rounded to the counter's dtype, like torch
        mu_product_value = float(mu_product)
        mu_product_next = mu_product_value * mu_next
        grad_coef = -lr * (1.0 - mu) / (1.0 - mu_product_value)
        avg_coef = (-lr * mu_next) / (1.0 - mu_product_next)
        arrays = [param, grads[i], exp_avgs[i], exp_avg_sqs[i]]
        for p, g, exp_avg, exp_avg_sq, t0, t, denom in _blocks(arrays, 3, workspace):
            g = _adam_moments_(
                p, g, exp_avg, exp_avg_sq, t0, t, decay, grad_wd, maximize, beta1, beta2
            )
            np.divide(exp_avg_sq, bias_correction2, out=denom)
            np.sqrt(denom, out=denom)
            np.add(denom, eps, out=denom)
            _addcdiv_(p, g, denom, grad_coef, t)
            _addcdiv_(p, exp_avg, denom, avg_coef, t)


# ---- RAdam -------------------------------------------------------------------------
def radam(
    params,
    grads,
    exp_avgs,
    exp_avg_sqs,
    state_steps,
    *,
    beta1,
    beta2,
    lr,
    weight_decay,
    eps,
    decoupled_weight_decay,
    maximize,
    workspace=None,
):
    """RAdam (Liu et al.): Adam whose adaptive term is switched on, with the rectification
    factor ``r_t``, only once the variance estimate is tractable (``rho_t > 5``); before
    that the step is SGD with momentum: ``p -= lr * m / (1 - beta1**t)``."""
    rho_inf = 2 / (1 - beta2) - 1
    grad_wd, decay = _weight_decay_split(lr, weight_decay, decoupled_weight_decay)
    for i, param in enumerate(params):
        step = _bump(state_steps[i])
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        rectified = rho_t > 5.0
        if rectified:
            rect = (
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            ) ** 0.5
        arrays = [param, grads[i], exp_avgs[i], exp_avg_sqs[i]]
        for p, g, exp_avg, exp_avg_sq, t0, t, update in _blocks(arrays, 3, workspace):
            g = _adam_moments_(
                p, g, exp_avg, exp_avg_sq, t0, t, decay, grad_wd, maximize, beta1, beta2
            )
            np.divide(exp_avg, bias_correction1, out=update)
            np.multiply(update, lr, out=update)
            if rectified:
                np.sqrt(exp_avg_sq, out=t)
                np.add(t, eps, out=t)
                np.divide(bias_correction2**0.5, t, out=t)  # adaptive learning rate
                np.multiply(update, t, out=update)
                np.multiply(update, rect, out=update)
            np.subtract(p, update, out=p)


# ---- Adamax ------------------------------------------------------------------------
def adamax(
    params,
    grads,
    exp_avgs,
    exp_infs,
    state_steps,
    *,
    eps,
    beta1,
    beta2,
    lr,
    weight_decay,
    maximize,
    workspace=None,
):
    """Adamax (Kingma & Ba): Adam with the infinity norm,
    ``u = max(beta2 * u, |g| + eps)``; ``p -= lr / (1 - beta1**t) * m / u``."""
    for i, param in enumerate(params):
        step = _bump(state_steps[i])
        clr = lr / (1 - beta1**step)
        arrays = [param, grads[i], exp_avgs[i], exp_infs[i]]
        for p, g, exp_avg, exp_inf, t0, t in _blocks(arrays, 2, workspace):
            g = _effective_grad(p, g, weight_decay, maximize, t0)
            _lerp_(exp_avg, g, 1 - beta1, t)
            np.multiply(exp_inf, beta2, out=exp_inf)
            np.abs(g, out=t)
            np.add(t, eps, out=t)
            np.maximum(exp_inf, t, out=exp_inf)
            _addcdiv_(p, exp_avg, exp_inf, -clr, t)


# ---- Adadelta ----------------------------------------------------------------------
def adadelta(
    params,
    grads,
    square_avgs,
    acc_deltas,
    state_steps,
    *,
    lr,
    rho,
    eps,
    weight_decay,
    maximize,
    workspace=None,
):
    """Adadelta (Zeiler): ``v = rho * v + (1 - rho) * g * g``;
    ``delta = sqrt(u + eps) / sqrt(v + eps) * g``; ``u = rho * u + (1 - rho) * delta**2``;
    ``p -= lr * delta``. The ratio of the two running RMS values gives each coordinate a
    step size in the units of the parameter."""
    for i, param in enumerate(params):
        _bump(state_steps[i])
        arrays = [param, grads[i], square_avgs[i], acc_deltas[i]]
        for p, g, square_avg, acc_delta, t0, std, delta in _blocks(arrays, 3, workspace):
            g = _effective_grad(p, g, weight_decay, maximize, t0)
            _ema_sq_(square_avg, g, rho, std)
            np.add(square_avg, eps, out=std)
            np.sqrt(std, out=std)
            np.add(acc_delta, eps, out=delta)
            np.sqrt(delta, out=delta)
            np.divide(delta, std, out=delta)
            np.multiply(delta, g, out=delta)
            _ema_sq_(acc_delta, delta, rho, std)
            _add_scaled_(p, delta, -lr, delta)


# ---- Rprop -------------------------------------------------------------------------
def rprop(
    params,
    grads,
    prevs,
    step_sizes,
    state_steps,
    *,
    step_size_min,
    step_size_max,
    etaminus,
    etaplus,
    maximize,
    workspace=None,
):
    """Rprop (Riedmiller & Braun): only the sign of the gradient is used. Each coordinate's
    step size grows by ``etaplus`` while the gradient keeps its sign and shrinks by
    ``etaminus`` when it flips (then that coordinate skips one update); it stays within
    ``[step_size_min, step_size_max]``. ``p -= sign(g) * step_size``."""
    for i, param in enumerate(params):
        _bump(state_steps[i])
        arrays = [param, grads[i], prevs[i], step_sizes[i]]
        for p, g, prev, step_size, t0, factor in _blocks(arrays, 2, workspace):
            if maximize:
                g = np.negative(g, out=t0)
            np.multiply(g, prev, out=factor)
            np.sign(factor, out=factor)
            flipped = factor < 0
            factor[factor > 0] = etaplus
            factor[flipped] = etaminus
            factor[factor == 0] = 1
            np.multiply(step_size, factor, out=step_size)
            np.clip(step_size, step_size_min, step_size_max, out=step_size)
            np.copyto(prev, g)
            prev[factor == etaminus] = 0  # a flipped sign: no move, no flip next time
            np.sign(prev, out=factor)
            np.multiply(factor, step_size, out=factor)
            np.subtract(p, factor, out=p)


# ---- ASGD --------------------------------------------------------------------------
def asgd(
    params,
    grads,
    axs,
    mus,
    etas,
    state_steps,
    *,
    lambd,
    lr,
    t0,
    alpha,
    weight_decay,
    maximize,
    workspace=None,
):
    """Averaged SGD (Polyak & Juditsky): SGD with the decaying step
    ``eta_t = lr / (1 + lambd * lr * t) ** alpha`` and weight decay ``p *= 1 - lambd * eta``;
    ``ax`` is the running average of the iterates from step ``t0`` on (before that it
    follows ``p``). ``etas``/``mus`` are 0-d arrays in the scalar dtype (float32 unless the
    default dtype is float64, like torch), updated in place."""
    for i, param in enumerate(params):
        step = _bump(state_steps[i])
        eta_value = float(etas[i])
        mu_value = float(mus[i])
        arrays = [param, grads[i], axs[i]]
        for p, g, ax, t_0, t in _blocks(arrays, 2, workspace):
            g = _effective_grad(p, g, weight_decay, maximize, t_0)
            np.multiply(p, 1 - lambd * eta_value, out=p)
            _add_scaled_(p, g, -eta_value, t)
            if mu_value != 1:
                np.subtract(p, ax, out=t)
                np.multiply(t, mu_value, out=t)
                np.add(ax, t, out=ax)
            else:
                np.copyto(ax, p)
        etas[i][()] = lr / ((1 + lambd * lr * step) ** alpha)  # rounded like torch's state
        mus[i][()] = 1 / max(1, step - t0)


# ---- Adafactor ---------------------------------------------------------------------
def adafactor(
    params,
    grads,
    row_vars,
    col_vars,
    variances,
    state_steps,
    *,
    d,
    lr,
    beta2_decay,
    weight_decay,
    eps1,
    eps2,
    maximize,
):
    """Adafactor (Shazeer & Stern), torch's variant: the second moment of a matrix
    gradient is stored factored, as row and column means of ``g**2`` over the last two
    dimensions (memory ``R + C`` instead of ``R * C``); vectors keep a full ``variance``.

    ``beta2_t = 1 - t**beta2_decay``; step ``alpha = max(eps2, RMS(p)) * min(lr, 1/sqrt(t))``
    (relative to the parameter's size); the update ``g / sqrt(v_hat)`` is clipped to RMS
    ``<= d``. ``eps1=None`` means the dtype's machine epsilon.
    """
    for i, param in enumerate(params):
        grad = -grads[i] if maximize else grads[i]
        eps_1 = np.finfo(param.dtype).eps if eps1 is None else eps1
        step = _bump(state_steps[i])
        one_minus_beta2_t = step**beta2_decay
        rho_t = min(lr, 1 / (step**0.5))
        alpha = max(eps2, float(np.linalg.norm(param.reshape(-1))) / (param.size**0.5)) * rho_t
        if weight_decay != 0:
            np.multiply(param, 1 - lr * weight_decay, out=param)
        if grad.ndim > 1:
            row_var, col_var = row_vars[i], col_vars[i]
            # the mean of g**2 along a dimension, as torch computes it: norm(g)**2 / n
            squared = grad * grad
            for var, axis in ((row_var, -1), (col_var, -2)):
                mean = np.square(np.sqrt(squared.sum(axis=axis, keepdims=True)))
                mean /= grad.shape[axis]
                _lerp_(var, mean, one_minus_beta2_t, np.empty_like(var))
            var_estimate = np.matmul(row_var, col_var)
            var_estimate /= np.maximum(row_var.mean(axis=-2, keepdims=True), eps_1)
        else:
            variance = variances[i]
            _lerp_(variance, grad * grad, one_minus_beta2_t, np.empty_like(variance))
            var_estimate = variance.copy()
        update = np.maximum(var_estimate, eps_1 * eps_1, out=var_estimate)
        np.sqrt(update, out=update)
        np.divide(1.0, update, out=update)  # torch: rsqrt, then times the gradient
        np.multiply(update, grad, out=update)
        denom = max(1.0, float(np.linalg.norm(update.reshape(-1))) / ((update.size**0.5) * d))
        update *= -alpha / denom
        param += update


# ---- SparseAdam ----------------------------------------------------------------------
def sparse_adam(
    params, grads, exp_avgs, exp_avg_sqs, state_steps, *, eps, beta1, beta2, lr, maximize
):
    """Lazy Adam for sparse gradients: only the entries a gradient touches are updated.

    ``grads[i]`` is a sparse COO gradient given as a pair ``(indices, values)``, as torch's
    ``grad._indices()`` / ``grad._values()``: ``indices`` has shape ``(sparse_dims, nnz)``
    (e.g. ``(1, nnz)`` rows of an embedding table), ``values`` shape ``(nnz, *dense_dims)``.
    Repeated indices are summed first (torch's ``coalesce``). Those entries and their moments
    move as Adam would move them; every other entry stays as it is. ``state_steps[i]`` is
    the step count *after* this step (an int).
    """
    for i, param in enumerate(params):
        indices, values = grads[i]
        indices, values = _coalesce(np.asarray(indices), -values if maximize else values)
        if values.size == 0:
            continue
        where = tuple(indices)
        exp_avg, exp_avg_sq = exp_avgs[i], exp_avg_sqs[i]
        old_avg, old_sq = exp_avg[where], exp_avg_sq[where]
        avg_update = (values - old_avg) * (1 - beta1)
        sq_update = (values**2 - old_sq) * (1 - beta2)
        exp_avg[where] += avg_update
        exp_avg_sq[where] += sq_update
        numer = avg_update + old_avg
        denom = np.sqrt(sq_update + old_sq) + eps
        step = state_steps[i]
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr * math.sqrt(bias_correction2) / bias_correction1
        param[where] += -step_size * (numer / denom)


def _coalesce(indices, values):
    """Sort the index columns and sum the values of repeated ones (torch's ``coalesce``)."""
    if indices.shape[1] == 0:
        return indices, values
    unique, inverse = np.unique(indices, axis=1, return_inverse=True)
    if unique.shape[1] == indices.shape[1] and np.array_equal(unique, indices):
        return indices, values
    summed = np.zeros((unique.shape[1],) + values.shape[1:], values.dtype)
    np.add.at(summed, inverse.reshape(-1), values)
    return unique, summed
