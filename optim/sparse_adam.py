"""SparseAdam: lazy Adam for sparse gradients (mirrors ``torch.optim.SparseAdam``)."""

from autograd import Tensor

from . import _functional as F
from .optimizer import Optimizer, _array, _hyperparameters, _routine_kwargs, _zeros_like


class SparseAdam(Optimizer):
    """Adam that moves only the entries a sparse gradient touches (and only their moments),
    e.g. the rows of an embedding table that a batch used.

    Like torch it refuses dense gradients. jitgrad has no sparse tensors yet, so every
    gradient autograd produces is dense and ``step`` raises torch's error for it; the update
    itself is ``optim._functional.sparse_adam`` (indices + values), tested against torch.

    Example:
        >>> opt = optim.SparseAdam(embedding.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, _hyperparameters(locals(), betas=tuple(betas)))

    def step(self, closure=None):
        """Perform one optimization step (returns ``closure()``'s loss if given)."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            params, grads, exp_avgs, exp_avg_sqs, steps = [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                if not getattr(p.grad, "is_sparse", False):
                    raise RuntimeError(
                        "SparseAdam does not support dense gradients, please consider Adam instead"
                    )
                params.append(p)
                grads.append((p.grad._indices(), p.grad._values()))
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = 0
                    st["exp_avg"] = _zeros_like(p)
                    st["exp_avg_sq"] = _zeros_like(p)
                st["step"] += 1
                exp_avgs.append(_array(st["exp_avg"]))
                exp_avg_sqs.append(_array(st["exp_avg_sq"]))
                steps.append(st["step"])
            kwargs = _routine_kwargs(F.sparse_adam, group)
            F.sparse_adam(
                [_array(p) for p in params], grads, exp_avgs, exp_avg_sqs, steps, **kwargs
            )
            self._finish(params)
        return loss
