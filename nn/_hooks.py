"""Hook plumbing of ``nn.Module``: the handles ``register_*_hook`` return, and the full
backward hooks (two identity ``Function``s around ``forward`` that see ``grad_output`` and
``grad_input``), as in ``torch.utils.hooks``.
"""

from __future__ import annotations

import itertools

import autograd
from autograd import Tensor


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``handle.remove()`` unregisters."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict, *extra_dicts):
        self.id = next(RemovableHandle._next_id)
        self._dicts = (hooks_dict,) + extra_dicts

    def remove(self):
        for d in self._dicts:
            d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _SetAsDict:
    """Lets a RemovableHandle remove its id from a set as if it were a dict."""

    def __init__(self, s):
        self._s = s

    def pop(self, key, default=None):
        self._s.discard(key)
        return default


class _Identity(autograd.Function):
    """Passes tensors through unchanged; in the backward ``on_backward(grads)`` sees their
    gradients and returns the ones to pass on (the place full backward hooks run)."""

    @staticmethod
    def forward(ctx, on_backward, *xs):
        ctx.on_backward = on_backward
        return tuple(x.detach() for x in xs)

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.on_backward(grads))


def _through_identity(on_backward, values, positions):
    """``values`` with those at ``positions`` replaced by their pass-through copies."""
    outs = _Identity.apply(on_backward, *[values[i] for i in positions])
    if not isinstance(outs, tuple):
        outs = (outs,)
    values = list(values)
    for i, o in zip(positions, outs):
        values[i] = o
    return tuple(values)


class _BackwardHookState:
    """Implements full backward hooks with two identity Functions around forward.

    The identity on the outputs records ``grad_output``; the identity on the inputs sees
    ``grad_input`` and calls the hooks (their return value replaces ``grad_input``). If no
    input requires grad, the hooks are called from the output side with ``grad_input`` Nones.
    """

    def __init__(self, module, hooks):
        self.module = module
        self.hooks = hooks
        self.grad_output = None
        self.n_inputs = 0
        self.input_positions = []

    def _saw_grad_output(self, grads):
        self.grad_output = tuple(grads)
        if not self.inputs_wrapped:
            self._run_hooks((None,) * max(self.n_inputs, 1))
        return grads

    def _run_hooks(self, grad_input):
        grad_input = tuple(grad_input)
        for hook in list(self.hooks.values()):
            res = hook(self.module, grad_input, self.grad_output)
            if res is not None:
                res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                if len(res) != len(grad_input):
                    raise RuntimeError(
                        f"Backward hook returned an invalid number of grad_input, "
                        f"got {len(res)}, but expected {len(grad_input)}"
                    )
                grad_input = res
        return grad_input

    def wrap_inputs(self, args):
        pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.input_positions = pos
        self.n_inputs = len(pos)
        needing = [i for i in pos if args[i].requires_grad and autograd.is_grad_enabled()]
        if not needing:
            self.inputs_wrapped = False
            return args
        self.inputs_wrapped = True
        return _through_identity(self._run_hooks, args, pos)

    def wrap_outputs(self, result):
        single = isinstance(result, Tensor)
        outs = (result,) if single else result
        if not isinstance(outs, tuple) or not autograd.is_grad_enabled():
            return result
        idx = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        if not idx:
            return result
        outs = _through_identity(self._saw_grad_output, outs, idx)
        return outs[0] if single else tuple(outs)
