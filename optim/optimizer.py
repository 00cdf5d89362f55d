"""The ``Optimizer`` base class (mirrors ``torch.optim.Optimizer``).

An optimizer holds ``param_groups`` (a list of dicts: ``'params'`` plus that group's
hyper-parameters), ``defaults`` (hyper-parameters a group does not set) and ``state``
(per-parameter buffers such as ``exp_avg``, keyed by the parameter tensor itself).

The base class runs the step: for every parameter with a gradient it gathers the NumPy
arrays of the parameter, its gradient and its state buffers (creating the state at the
parameter's first step), and hands them to the optimizer's functional routine
(``optim._functional``), which updates those arrays in place. An optimizer declares its
hyper-parameters once, in its ``__init__`` signature (``_hyperparameters(locals())`` turns
them into ``defaults``), its routine and the state that routine takes (``_routine``,
``_routine_state``), and how that state starts (``_buffers``, or ``_zero_buffers`` /
``_init_state``). No autograd graph is built by a step: the update works on the arrays under the
tensors -- except with ``differentiable=True``, where ``optim._differentiable`` computes the
same update with recorded autograd ops (for differentiating through optimizer steps).

Example:
    >>> import autograd, optim
    >>> w = autograd.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.8000, -1.6000])
"""

import inspect
from collections import defaultdict
from collections.abc import Callable
from copy import deepcopy
from functools import cache
from itertools import chain

import numpy as np

import autograd
from autograd import Tensor


class _RequiredParameter:
    """Marks a hyper-parameter without a default (``optim.optimizer.required``)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


# ---- helpers shared by the optimizers --------------------------------------------
def _array(t: Tensor) -> np.ndarray:
    """The ndarray under ``t`` (shares memory: writing to it changes the tensor)."""
    return (
        t._data
    )  # == t.detach().numpy(), without a throw-away Tensor (hot: 5x per parameter per step)


_WHAT = {"lr": "learning rate", "eps": "epsilon value"}


def _check_nonnegative(**values) -> None:
    """torch's constructor checks, in the order given: ``ValueError("Invalid learning rate:
    -1")`` for a hyper-parameter that is negative or nan (``Invalid <name> value`` for most)."""
    for name, value in values.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {_WHAT.get(name, name + ' value')}: {value}")


def _hyperparameters(args: dict, **converted) -> dict:
    """An optimizer's ``defaults``: the arguments its ``__init__`` received, so each
    hyper-parameter is declared once, in the signature (where ``help()`` shows it).

    ``args`` is the constructor's ``locals()`` taken before any other local is defined, i.e.
    exactly its arguments, in signature order; ``self``, ``params`` and the ``__class__`` cell
    (present when the method calls ``super()``) are left out. ``converted`` replaces values
    that are stored in another form, e.g. ``betas=tuple(betas)`` (torch stores tuples).

    Example:
        >>> class Momentum(Optimizer):
        ...     def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), *, maximize=False):
        ...         super().__init__(params, _hyperparameters(locals(), betas=tuple(betas)))
        >>> Momentum([w], betas=[0.8, 0.9]).defaults
        {'lr': 0.001, 'betas': (0.8, 0.9), 'maximize': False}
    """
    defaults = {k: v for k, v in args.items() if k not in ("self", "params", "__class__")}
    defaults.update(converted)
    return defaults


# Hyper-parameters a group stores as one pair (as torch does: ``betas=(beta1, beta2)``), by
# the names the functional routines give their two halves.
_HALVES = {
    "beta1": ("betas", 0),
    "beta2": ("betas", 1),
    "etaminus": ("etas", 0),
    "etaplus": ("etas", 1),
    "step_size_min": ("step_sizes", 0),
    "step_size_max": ("step_sizes", 1),
    "eps1": ("eps", 0),  # Adafactor's (eps1, eps2)
    "eps2": ("eps", 1),
}


@cache
def _keyword_plan(routine) -> tuple:
    """Where a parameter group holds each keyword-only argument of a functional routine:
    ``((keyword, group key, index in the pair or None), ...)``, and whether the routine takes
    a ``workspace``. Worked out once per routine, from its signature."""
    arguments = inspect.signature(routine).parameters
    plan = tuple(
        (name,) + _HALVES.get(name, (name, None))
        for name, arg in arguments.items()
        if arg.kind is arg.KEYWORD_ONLY and name != "workspace"
    )
    return plan, "workspace" in arguments


def _routine_kwargs(routine, group: dict, workspace=None) -> dict:
    """The keyword arguments of ``routine`` (a function of ``optim._functional``) taken from
    a parameter group -- each by its name, or half of a stored pair -- plus ``workspace``
    where the routine takes one.

    Example:
        >>> opt = optim.Adamax([w], lr=2e-3)
        >>> kwargs = _routine_kwargs(F.adamax, opt.param_groups[0], opt._workspace)
        >>> kwargs["lr"], kwargs["beta1"], kwargs["beta2"]  # lr, and the halves of betas
        (0.002, 0.9, 0.999)
    """
    plan, takes_workspace = _keyword_plan(routine)
    kwargs = {name: group[key] if half is None else group[key][half] for name, key, half in plan}
    if takes_workspace:
        kwargs["workspace"] = workspace
    return kwargs


def _loaded_array(value) -> np.ndarray | None:
    """A loaded state value that is a tensor or an ndarray (checkpoint loaders may hand back
    either), as a new array; None for anything else."""
    if isinstance(value, Tensor):
        value = _array(value)
    return value.copy() if isinstance(value, np.ndarray) else None


def _scalar_dtype():
    # torch keeps ``step`` (and NAdam's ``mu_product``) in float64 only when the default
    # dtype is float64, otherwise float32; the float32 rounding of ``mu_product`` is
    # part of torch's trajectory, so we mirror the rule.
    return (
        autograd.float64 if autograd.get_default_dtype() == autograd.float64 else autograd.float32
    )


def _new_step():
    """A fresh 0-d ``step`` counter tensor, as torch stores it."""
    return autograd.tensor(0.0, dtype=_scalar_dtype())


def _zeros_like(p: Tensor) -> Tensor:
    """A state buffer: zeros with ``p``'s shape and dtype, not requiring grad."""
    return Tensor._make(np.zeros_like(_array(p)))


def _increment(step: Tensor) -> float:
    """``step += 1`` in place; returns the new count as a Python float."""
    arr = _array(step)
    arr += 1
    return float(arr)


def _typename(obj) -> str:
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _to_int_key(k):
    # Checkpoints stored as JSON turn the int parameter indices into strings ('0');
    # accept both so ``load_state_dict(autograd.load(path))`` works.
    if isinstance(k, str) and k.lstrip("-").isdigit():
        return int(k)
    return k


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors, or of dicts defining parameter groups
            (``{'params': [...], 'lr': ...}``).
        defaults: default hyper-parameters, used by groups that do not set them.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # In a function compiled by autograd.compile the step and zero_grad are not traced:
        # they run on every call (hyper-parameters and state are read each time).
        for name in ("step", "zero_grad"):
            if name in cls.__dict__:
                setattr(cls, name, autograd.compiler.disable(cls.__dict__[name]))

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of "
                "Tensors or dicts, but got " + _typename(params)
            )
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        # Scratch arrays reused by the functional routines between steps (not state:
        # they hold nothing worth saving).
        self._workspace = {}

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ---- parameter groups ----------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyper-parameters (e.g. when unfreezing
        layers during fine-tuning); unset hyper-parameters take ``defaults``.

        Example:
            >>> opt.add_param_group({'params': [b], 'lr': 1e-4})
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_typename(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. Please use a "
                "list instead."
            )
        else:
            param_group["params"] = list(params)

        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is " + _typename(p)
                )
            if not (p.is_leaf or p.retains_grad or self.defaults.get("differentiable")):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required "
                    f"optimization parameter {name}"
                )
            param_group.setdefault(name, default)

        # Compare by identity: Tensor.__eq__ is elementwise, so sets of ids are used.
        ids = [id(p) for p in param_group["params"]]
        if len(ids) != len(set(ids)):
            import warnings

            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error; see "
                "github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- gradients -------------------------------------------------------------------
    @autograd.compiler.disable
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized parameters.

        ``set_to_none=True`` (the default) drops them (``p.grad = None``), which saves memory
        and makes the next step skip parameters that get no gradient; ``False`` fills the
        existing gradient tensors with zeros.
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad  # (the field behind ``grad``, as in _with_grad)
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    _array(g).fill(0)
                    g._bump_version()

    def _run_closure(self, closure):
        # The closure recomputes the loss and calls backward, so it needs grad mode on
        # even if step() is called inside ``no_grad``.
        if closure is None:
            return None
        with autograd.enable_grad():
            return closure()

    # ---- the step: state set-up here, the update in each optimizer ------------------
    @autograd.compiler.disable  # (a compiled training step runs it on every call)
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns
        the loss (which ``step`` returns).

        For every group: the parameters that have a gradient, their state (created at a
        parameter's first step by ``_init_state``), then the optimizer's ``_update`` on the
        arrays, which changes them in place."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            params = self._with_grad(group)
            state = self._state_arrays(group, params, self._state_names(group))
            if self._differentiable_step(group, params, self._differentiable_rule):
                continue
            # (``_data`` and ``_grad`` read directly, as ``_array`` and ``_with_grad`` do: these
            # loops run for every parameter at every step)
            self._update(group, [p._data for p in params], [p._grad._data for p in params], state)
            self._finish(params)
        return loss

    # ``optim._differentiable``'s routine for ``differentiable=True`` (None: not supported)
    _differentiable_rule = None

    # The update: a function of ``optim._functional`` and the state entries it takes after
    # the parameters and gradients, in its order (one list of arrays per entry; an empty list
    # for an entry the group does not use, e.g. ``max_exp_avg_sq`` without ``amsgrad``).
    _routine: Callable[..., None]  # (no default: an optimizer without one overrides step)
    _routine_state: tuple = ()

    def _update(self, group, params, grads, state) -> None:
        """Update ``params`` (arrays) in place from ``grads`` and ``state`` (``{name: [array
        per parameter]}``) with the optimizer's ``_routine``, given the group's
        hyper-parameters and the optimizer's scratch ``workspace`` where it takes one."""
        kwargs = _routine_kwargs(self._routine, group, self._workspace)
        states = [state.get(name, []) for name in self._routine_state]
        self._routine(params, grads, *states, **kwargs)

    # the state buffers that start as zeros shaped like the parameter
    _buffers: tuple = ()

    def _zero_buffers(self, group) -> tuple:
        """The class's ``_buffers``; optimizers whose buffers depend on the group's options
        (Adam's ``amsgrad``) override this."""
        return self._buffers

    def _state_names(self, group) -> tuple:
        """The state entries ``_update`` reads: those its routine takes (optimizers with
        optional buffers, such as Adam's ``max_exp_avg_sq``, leave out the unused ones)."""
        return self._routine_state

    def _init_state(self, p, group) -> dict:
        """A parameter's state before its first step: the 0-d ``step`` counter and the zero
        buffers; optimizers with other initial values extend it."""
        st = {"step": _new_step()}
        for name in self._zero_buffers(group):
            st[name] = _zeros_like(p)
        return st

    def _state_arrays(self, group, params, names) -> dict:
        """``{name: [the array of state[name] for each parameter]}`` (None where a parameter
        has no such entry), creating the state of parameters at their first step."""
        arrays: dict[str, list] = {name: [] for name in names}
        state = self.state
        for p in params:
            st = state[p]
            if not st:
                st.update(self._init_state(p, group))
            for name in names:
                value = st.get(name)
                arrays[name].append(None if value is None else value._data)  # (= _array(value))
        return arrays

    # ---- checkpoints -------------------------------------------------------------------
    def state_dict(self) -> dict:
        """The optimizer's state in torch's layout.

        ``{'state': {0: {'step': ..., 'exp_avg': ...}, ...}, 'param_groups': [{'lr': ...,
        'params': [0, 1]}, ...]}``: parameters are replaced by their position, counted across
        groups in order. Like torch, the buffers are the live state tensors (not copies);
        save them (``autograd.save``) or deep-copy them to keep a snapshot.
        """
        index_of: dict[int, int] = {}  # id(parameter) -> its number in the state dict
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {
            (index_of[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a ``state_dict()`` (deep-copied; buffers are cast to each parameter's dtype,
        ``step`` is kept as saved). Parameter indices may be ints or strings ('0')."""
        if "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError(
                "optimizer state_dict must have the keys 'state' and 'param_groups', "
                f"got {sorted(state_dict)}"
            )
        saved_groups = deepcopy(list(state_dict["param_groups"]))
        groups = self.param_groups
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the "
                "size of optimizer's group"
            )

        id_map = {
            _to_int_key(old): p
            for old, p in zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        }

        # Validate and convert everything before touching self, so a bad checkpoint
        # leaves the optimizer unchanged.
        state: defaultdict[Tensor | int, dict] = defaultdict(dict)  # (unknown ids kept as ints)
        for k, v in state_dict["state"].items():
            k = _to_int_key(k)
            if k in id_map:
                param = id_map[k]
                state[param] = {
                    name: self._cast_state(param, name, value) for name, value in v.items()
                }
            else:
                state[k] = deepcopy(v)

        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            for name, default in self.defaults.items():
                saved.setdefault(name, default)
                # JSON checkpoints turn pairs such as ``betas`` into lists: tuples again
                if isinstance(default, tuple) and isinstance(saved[name], list):
                    saved[name] = tuple(saved[name])
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups

    @staticmethod
    def _cast_state(param, name, value):
        # Float buffers follow the parameter's dtype. 0-d counters (``step``, NAdam's
        # ``mu_product``) keep their own dtype: torch keeps ``step`` but casts ``mu_product``,
        # which makes a resumed NAdam drift from an uninterrupted one; we keep both, so a
        # round trip continues bit for bit. Checkpoint loaders may hand back ndarrays.
        arr = _loaded_array(value)
        if arr is not None:
            if name != "step" and arr.ndim != 0 and np.issubdtype(arr.dtype, np.floating):
                arr = arr.astype(_array(param).dtype, copy=False)
            if name != "step" and arr.shape != _array(param).shape and arr.ndim != 0:
                raise ValueError(
                    f"loaded optimizer state {name!r} has shape {list(arr.shape)} but "
                    f"its parameter has shape {list(param.shape)}; the checkpoint does "
                    "not belong to these parameters"
                )
            return Tensor._make(arr)
        if isinstance(value, dict):
            return {k: Optimizer._cast_state(param, k, v) for k, v in value.items()}
        return deepcopy(value)

    # ---- misc ------------------------------------------------------------------------
    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._workspace = {}

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    def _differentiable_step(self, group, params, rule) -> bool:
        """With ``differentiable=True`` run the step as recorded autograd ops
        (``optim._differentiable``) and return True; otherwise return False. torch's other
        implementation flags (``foreach``, ``fused``, ``capturable``) only choose how torch
        runs the same update and change nothing here."""
        if not group.get("differentiable"):
            return False
        with autograd.enable_grad():
            rule(params, self.state, group)
        return True

    # Parameters that take part in a step: those with a gradient.
    @staticmethod
    def _with_grad(group):
        # (``_grad``, the field behind the ``grad`` property: parameters are leaves, so the
        # property's non-leaf warning never applies, and this runs once per parameter per step)
        return [p for p in group["params"] if p._grad is not None]

    @staticmethod
    def _finish(params):
        # The arrays were changed in place: bump the version counters so a graph that
        # saved one of these parameters before the step refuses to backprop through it
        # (torch's "modified by an inplace operation" check).
        for p in params:
            p._bump_version()
