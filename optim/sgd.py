"""SGD with momentum, dampening, Nesterov and weight decay (mirrors ``torch.optim.SGD``)."""

from autograd import Tensor

from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _array, _hyperparameters, _routine_kwargs


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Example:
        >>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, _hyperparameters(locals()))

    def step(self, closure=None):
        """Perform one optimization step (returns ``closure()``'s loss if given)."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            params = self._with_grad(group)
            momentum = group["momentum"]
            if momentum == 0 and not group.get("differentiable"):
                # Plain SGD keeps no state: one foreach-style call updates the whole group
                # (the general path below gives the same numbers, one parameter at a time).
                F.sgd_plain(
                    [p._data for p in params],  # (= _array(p), read directly: hot loop)
                    [p._grad._data for p in params],
                    lr=group["lr"],
                    weight_decay=group["weight_decay"],
                    maximize=group["maximize"],
                    workspace=self._workspace,
                )
                self._finish(params)
                continue
            # (each parameter's state dict looked up once: a lookup hashes the tensor)
            states = [self.state[p] for p in params] if momentum != 0 else []
            bufs = [None] * len(params)
            for i, st in enumerate(states):
                if "momentum_buffer" in st:
                    bufs[i] = _array(st["momentum_buffer"])
            if self._differentiable_step(group, params, D.sgd):
                continue
            kwargs = _routine_kwargs(F.sgd, group, self._workspace)
            F.sgd([p._data for p in params], [p._grad._data for p in params], bufs, **kwargs)
            # The first step creates the buffers: store them as tensors in the state.
            for st, buf in zip(states, bufs):
                if "momentum_buffer" not in st:
                    st["momentum_buffer"] = Tensor._make(buf)
            self._finish(params)
        return loss
