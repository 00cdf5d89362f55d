"""The update rules again, written with autograd ops, for ``differentiable=True``.

With ``differentiable=True`` an optimizer step is itself recorded by autograd: the new
parameters (and state buffers) are functions of the old ones, of the gradients and of
tensor hyper-parameters, so a loss after several steps can be differentiated with respect
to the initial weights or to a learning rate given as a tensor (meta-learning,
hyper-gradients). The ordinary step (``optim._functional``) updates NumPy arrays in place
and records nothing; these routines compute the same numbers with differentiable in-place
tensor ops, following torch's single-tensor implementations.

Each routine takes the optimizer's group and the parameters that have a gradient; state
lives in ``state[p]`` with the same keys as the ordinary path, so ``state_dict`` is the
same. Parameters are usually non-leaf tensors here (``p = w.clone()``), as in torch.
"""

from __future__ import annotations

import math

import autograd


def _grad(p, maximize, weight_decay):
    g = -p.grad if maximize else p.grad
    return g + weight_decay * p if weight_decay != 0 else g


def _step(st):
    st["step"].add_(1)
    return float(st["step"])


def _adam_moments(p, st, group):
    """The start Adam, NAdam and RAdam share: count the step, take the gradient (L2 weight
    decay, or the weights decayed directly when it is decoupled), update both moments.
    Returns (step, gradient)."""
    lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
    decoupled = group.get("decoupled_weight_decay", False)
    step = _step(st)
    g = _grad(p, group["maximize"], 0 if decoupled else wd)
    if decoupled and wd != 0:
        p.mul_(1 - lr * wd)
    st["exp_avg"].lerp_(g, 1 - beta1)
    st["exp_avg_sq"].mul_(beta2).add_((1 - beta2) * g * g)
    return step, g


def sgd(params, state, group):
    lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
    for p in params:
        g = _grad(p, group["maximize"], group["weight_decay"])
        if momentum != 0:
            buf = state[p].get("momentum_buffer")
            if buf is None:
                buf = state[p]["momentum_buffer"] = g.detach().clone()
            else:
                buf.mul_(momentum).add_((1 - dampening) * g)
            g = g + momentum * buf if group["nesterov"] else buf
        p.sub_(lr * g)


def adam(params, state, group):
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    for p in params:
        st = state[p]
        step, _ = _adam_moments(p, st, group)
        second = st["exp_avg_sq"]
        if group["amsgrad"]:
            st["max_exp_avg_sq"].copy_(autograd.maximum(st["max_exp_avg_sq"].clone(), second))
            second = st["max_exp_avg_sq"]
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = math.sqrt(1 - beta2**step)
        denom = second.sqrt() / bias_correction2_sqrt + eps
        p.sub_((lr / bias_correction1) * st["exp_avg"].clone() / denom)


def rmsprop(params, state, group):
    lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
    for p in params:
        st = state[p]
        _step(st)
        g = _grad(p, group["maximize"], group["weight_decay"])
        st["square_avg"].mul_(alpha).add_((1 - alpha) * g * g)
        if group["centered"]:
            st["grad_avg"].lerp_(g, 1 - alpha)
            avg = (st["square_avg"] - st["grad_avg"] * st["grad_avg"]).sqrt()
        else:
            avg = st["square_avg"].sqrt()
        avg = avg + eps
        if momentum > 0:
            st["momentum_buffer"].mul_(momentum).add_(g / avg)
            p.sub_(lr * st["momentum_buffer"])
        else:
            p.sub_(lr * g / avg)


def adagrad(params, state, group):
    for p in params:
        st = state[p]
        step = _step(st)
        g = _grad(p, group["maximize"], group["weight_decay"])
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        st["sum"].add_(g * g)
        p.sub_(clr * g / (st["sum"].sqrt() + group["eps"]))


def adamax(params, state, group):
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    for p in params:
        st = state[p]
        step = _step(st)
        g = _grad(p, group["maximize"], group["weight_decay"])
        st["exp_avg"].lerp_(g, 1 - beta1)
        st["exp_inf"].copy_(autograd.maximum(st["exp_inf"] * beta2, g.abs() + eps))
        p.sub_((lr / (1 - beta1**step)) * st["exp_avg"] / st["exp_inf"])


def nadam(params, state, group):
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    psi = group["momentum_decay"]
    for p in params:
        st = state[p]
        step, g = _adam_moments(p, st, group)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        st["mu_product"].mul_(mu)
        mu_product = float(st["mu_product"])
        denom = (st["exp_avg_sq"] / (1 - beta2**step)).sqrt() + eps
        p.sub_(lr * (1.0 - mu) / (1.0 - mu_product) * g / denom)
        p.sub_(lr * mu_next / (1.0 - mu_product * mu_next) * st["exp_avg"] / denom)


def radam(params, state, group):
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    rho_inf = 2 / (1 - beta2) - 1
    for p in params:
        st = state[p]
        step, _ = _adam_moments(p, st, group)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        update = st["exp_avg"] / bias_correction1 * lr
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            update = update * (math.sqrt(bias_correction2) / (st["exp_avg_sq"].sqrt() + eps)) * rect
        p.sub_(update)


def adadelta(params, state, group):
    lr, rho, eps = group["lr"], group["rho"], group["eps"]
    for p in params:
        st = state[p]
        _step(st)
        g = _grad(p, group["maximize"], group["weight_decay"])
        st["square_avg"].mul_(rho).add_((1 - rho) * g * g)
        std = (st["square_avg"] + eps).sqrt()
        delta = (st["acc_delta"] + eps).sqrt().clone() / std * g
        st["acc_delta"].mul_(rho).add_((1 - rho) * delta * delta)
        p.sub_(lr * delta)


def rprop(params, state, group):
    etaminus, etaplus = group["etas"]
    low, high = group["step_sizes"]
    for p in params:
        st = state[p]
        _step(st)
        g = -p.grad if group["maximize"] else p.grad
        sign = (g * st["prev"].clone()).sign()
        factor = autograd.where(
            sign > 0,
            autograd.full_like(sign, etaplus),
            autograd.where(sign < 0, autograd.full_like(sign, etaminus), autograd.ones_like(sign)),
        )
        st["step_size"].mul_(factor).clamp_(low, high)
        g = autograd.where(sign < 0, autograd.zeros_like(g), g)
        p.sub_(g.sign() * st["step_size"])
        st["prev"].copy_(g)


def asgd(params, state, group):
    lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
    for p in params:
        st = state[p]
        step = _step(st)
        g = _grad(p, group["maximize"], group["weight_decay"])
        eta = float(st["eta"])
        p.mul_(1 - lambd * eta)
        p.sub_(eta * g)
        if float(st["mu"]) != 1:
            st["ax"].add_((p - st["ax"]) * float(st["mu"]))
        else:
            st["ax"].copy_(p)
        with autograd.no_grad():
            st["eta"].fill_(lr / ((1 + lambd * lr * step) ** alpha))
            st["mu"].fill_(1 / max(1, step - t0))
