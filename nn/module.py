"""``nn.Module``: the base class of every layer and model (mirrors ``torch.nn.Module``).

A Module owns three ordered registries, filled automatically by attribute assignment:

* ``_parameters``: learnable ``Parameter``s (``self.weight = nn.Parameter(...)``);
* ``_buffers``: tensors that are state but not learned (BatchNorm's running mean);
* ``_modules``: child modules (``self.fc = nn.Linear(2, 3)``).

Everything else (``parameters()``, ``state_dict()``, ``train()``, ``to()``, ``repr``) walks
these registries in insertion order, so names and order match PyTorch exactly.

Calling a module (``model(x)``) runs forward pre-hooks, ``forward``, forward hooks, and
wires up backward hooks. It also marks every graph node created inside ``forward`` with a
``ModuleScope`` (through ``autograd.function.push_scope``) so ``autograd.viz`` can group the
picture by module: ``str(node.module_path)`` is the module's dotted path such as
``"encoder.0"``, computed only when somebody asks for it.

Example:
    >>> import autograd, nn
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = nn.Linear(2, 1)
    ...     def forward(self, x):
    ...         return self.fc(x)
    >>> [name for name, _ in Net().named_parameters()]
    ['fc.weight', 'fc.bias']
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

import autograd
from autograd import Tensor, devices
from autograd.function import push_scope, pop_scope, current_scope

from ._hooks import RemovableHandle, _BackwardHookState, _SetAsDict
from ._state_dict import _IncompatibleKeys as _IncompatibleKeys  # torch keeps it in module.py
from ._state_dict import _load_state_dict
from .parameter import Parameter, Buffer
from autograd.dtypes import FLOAT_KINDS

__all__ = ["Module", "ModuleScope", "RemovableHandle"]


class ModuleScope:
    """What a graph node records as ``node.module_path`` while a module's forward runs.

    Cheap to create (once per module call); the dotted path is worked out lazily by
    looking the module up among its caller's children.

    Attributes:
        module: the Module whose forward created the node.
        parent: the enclosing ModuleScope (None for the outermost call).
        name: the attribute name in the parent (``"0"``, ``"encoder"``), or the class name
            for an outermost call.
        path: dotted path from the outermost module, e.g. ``"encoder.0"`` (``""`` for the
            outermost module itself). ``str(scope)`` gives the path, or the class name at the
            root.
    """

    __slots__ = ("module", "parent", "_name", "_path")

    def __init__(self, module, parent):
        self.module = module
        self.parent = parent
        self._name = None
        self._path = None

    @property
    def name(self) -> str:
        if self._name is None:
            name = None
            if self.parent is not None:
                for k, m in self.parent.module._modules.items():
                    if m is self.module:
                        name = k
                        break
            self._name = name if name is not None else type(self.module).__name__
        return self._name

    @property
    def path(self) -> str:
        if self._path is None:
            if self.parent is None:
                self._path = ""
            else:
                up = self.parent.path
                self._path = f"{up}.{self.name}" if up else self.name
        return self._path

    @property
    def type_name(self) -> str:
        return type(self.module).__name__

    def __str__(self):
        return self.path or self.type_name

    def __repr__(self):
        return f"<ModuleScope {str(self)!r} ({self.type_name})>"


def _addindent(s: str, spaces: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _forward_unimplemented(self, *input):
    raise NotImplementedError(
        f'Module [{type(self).__name__}] is missing the required "forward" function'
    )


class Module:
    """Base class for all neural network modules; subclass it and define ``forward``.

    Example:
        >>> class Scale(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.s = nn.Parameter(autograd.tensor(2.0))
        ...     def forward(self, x):
        ...         return self.s * x
        >>> Scale()(autograd.tensor([1.0, 3.0]))
        tensor([2., 6.], grad_fn=<MulBackward0>)
    """

    training: bool
    _version = 1
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments; "
                "Module.__init__ takes none"
            )
        sa = object.__setattr__
        sa(self, "training", True)
        sa(self, "_parameters", OrderedDict())
        sa(self, "_buffers", OrderedDict())
        sa(self, "_non_persistent_buffers_set", set())
        sa(self, "_modules", OrderedDict())
        sa(self, "_forward_pre_hooks", OrderedDict())
        sa(self, "_forward_pre_hooks_with_kwargs", set())
        sa(self, "_forward_hooks", OrderedDict())
        sa(self, "_forward_hooks_with_kwargs", set())
        sa(self, "_backward_hooks", OrderedDict())
        sa(self, "_state_dict_hooks", OrderedDict())
        sa(self, "_load_state_dict_pre_hooks", OrderedDict())

    forward = _forward_unimplemented

    # ---- registration ------------------------------------------------------------
    def _check_ready(self, what):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call")

    def register_parameter(self, name: str, param) -> None:
        """Add a parameter (or None) under ``name``.

        Example:
            >>> m = nn.Module(); m.register_parameter("w", nn.Parameter(autograd.zeros(1)))
        """
        self._check_ready("parameter")
        self._check_name(name, "parameter", self._parameters)
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(nn.Parameter or None required)"
            )
        if param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters "
                "must be created explicitly. To express '{name}' as a function of another "
                "Tensor, compute the value in the forward() method."
            )
        self._parameters[name] = param

    def _register_optional(self, name: str, present: bool, make) -> None:
        """``self.<name> = Parameter(make())`` when ``present``, else a registered None
        (torch's convention for an absent weight or bias: the name exists and is None)."""
        self.register_parameter(name, Parameter(make()) if present else None)

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Add a buffer: state saved in ``state_dict`` (if ``persistent``) but not trained.

        Example:
            >>> m = nn.Module(); m.register_buffer("count", autograd.zeros(()))
            >>> list(m.state_dict())
            ['count']
        """
        self._check_ready("buffer")
        self._check_name(name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(autograd Tensor or None required)"
            )
        if isinstance(tensor, (Buffer, Parameter)):
            plain = Tensor._make(tensor._data)
            plain._version_cell = tensor._version_cell
            tensor = plain
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module) -> None:
        """Add a child module under ``name`` (same as attribute assignment)."""
        self._check_ready("child module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module", self._modules)
        self._modules[name] = module

    register_module = add_module

    def _check_name(self, name, kind, own):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if "." in name:  # (torch names the module's offending name, not a buffer's)
            raise KeyError(
                f'{kind} name can\'t contain "."' + (f", got: {name}" if kind == "module" else "")
            )
        if hasattr(self, name) and name not in own:
            raise KeyError(f"attribute '{name}' already exists")

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, d, self._buffers, self._modules)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, d, self._parameters, self._buffers)
            self._modules[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(nn.Module or None expected)"
                )
            self._modules[name] = None
        elif isinstance(value, Buffer):
            if params is None:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            self._remove_from(name, d, self._parameters, self._modules)
            self.register_buffer(name, value, value.persistent)
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(autograd Tensor or None expected)"
                )
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name, d, *dicts):
        d.pop(name, None)
        for dd in dicts:
            dd.pop(name, None)

    def __getattr__(self, name):
        # only called when normal lookup fails: look in the registries
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            r = d.get(reg)
            if r is not None and name in r:
                return r[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for reg in (self._parameters, self._buffers, self._modules):
            if name in reg:
                del reg[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = (
            list(super().__dir__())
            + list(self._parameters)
            + list(self._buffers)
            + list(self._modules)
        )
        return sorted(set(k for k in keys if not k[0].isdigit()))

    # ---- iteration -----------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """Yield ``(dotted_name, module)`` for this module and all descendants (pre-order)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from m.named_modules(memo, sub, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, getter, prefix="", recurse=True, remove_duplicate=True):
        mods = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        seen = set()
        for mod_prefix, m in mods:
            for k, v in getter(m).items():
                if v is None:
                    continue
                if remove_duplicate:
                    if id(v) in seen:
                        continue
                    seen.add(id(v))
                yield mod_prefix + ("." if mod_prefix else "") + k, v

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ):
        """Yield ``(name, Parameter)`` in registration order, e.g. ``('0.weight', ...)``."""
        yield from self._named_members(lambda m: m._parameters, prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        """Yield every Parameter (shared ones once).

        Example:
            >>> sum(p.numel() for p in nn.Linear(3, 2).parameters())
            8
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members(lambda m: m._buffers, prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> "Module":
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if item not in mod._modules:
                raise AttributeError(f"{type(mod).__name__} has no attribute `{item}`")
            mod = mod._modules[item]
        return mod

    def get_parameter(self, target: str) -> Parameter:
        return self._get_member(target, "parameter")

    def get_buffer(self, target: str) -> Tensor:
        return self._get_member(target, "buffer")

    def _get_member(self, target: str, kind: str):
        """The parameter or buffer at the dotted path ``target`` (torch's errors)."""
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        members = mod._parameters if kind == "parameter" else mod._buffers
        if name not in members:
            raise AttributeError(f"{type(mod).__name__} has no {kind} `{name}`")
        return members[name]

    # ---- modes and bulk changes ----------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (Dropout drops, BatchNorm uses batch statistics); returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self) -> "Module":
        """Same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    @autograd.compiler.disable  # (a compiled training step runs it on every call)
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters (to None by default, like torch)."""
        for p in self.parameters():
            g = p._grad
            if g is None:
                continue
            if set_to_none:
                p._grad = None
            else:  # zeroed in place, as torch's: whoever holds p.grad sees the zeros
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                if g._data.flags.writeable:
                    g._data.fill(0)
                    g._bump_version()
                else:  # (a read-only array, e.g. a broadcast one assigned by hand)
                    p._grad = Tensor._make(np.zeros_like(g._data))

    def apply(self, fn) -> "Module":
        """Call ``fn(module)`` on every submodule (children first) and self; returns self.

        Example:
            >>> net = nn.Sequential(nn.Linear(2, 2))
            >>> _ = net.apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
        """
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _apply(self, fn):
        """Replace every parameter's and buffer's array by ``fn(array)`` keeping the objects."""
        for m in self.children():
            m._apply(fn)
        for p in self._parameters.values():
            if p is None:
                continue
            p._data = fn(p._data)
            if p._grad is not None:
                p._grad = Tensor._make(fn(p._grad._data))
        for k, b in self._buffers.items():
            if b is not None:
                b._data = fn(b._data)
        return self

    def to(self, *args, **kwargs) -> "Module":
        """Cast floating parameters and buffers, and/or "move" to a device, in place; returns
        self. torch's forms: ``model.to(device)``, ``model.to(autograd.float64)``,
        ``model.to(device, dtype, non_blocking=True)``, ``model.to(tensor)``. The only device
        is the CPU; others fail as in a CPU build of torch.

        Example:
            >>> net = nn.Linear(2, 2); net.to("cpu") is net, net.to(autograd.float64).weight.dtype
            (True, autograd.float64)
        """
        _, dtype, _, _ = devices.parse_to(args, kwargs)
        if dtype is None:
            return self
        if not dtype.is_floating_point:
            raise TypeError(
                "nn.Module.to only accepts floating point or complex dtypes, but got "
                f"desired dtype={dtype}"
            )
        npdt = dtype.np
        return self._apply(lambda a: a.astype(npdt) if a.dtype.kind in FLOAT_KINDS else a)

    def float(self) -> "Module":
        return self.to(autograd.float32)

    def double(self) -> "Module":
        return self.to(autograd.float64)

    def half(self) -> "Module":
        return self.to(autograd.float16)

    def bfloat16(self) -> "Module":
        return self.to(autograd.bfloat16)

    def type(self, dst_type) -> "Module":
        return self.to(dst_type)

    def cpu(self) -> "Module":
        return self

    def cuda(self, device=None) -> "Module":
        """Fails as in a CPU build of torch ("Torch not compiled with CUDA enabled")."""
        devices.check_move("cuda" if device is None else device)
        return self

    # ---- calling -------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        compiled = self.__dict__.get("_compiled_call")
        if compiled is not None:  # after Module.compile(): the compiled call (docs/compile.md)
            return compiled(*args, **kwargs)
        return self._call_impl(*args, **kwargs)

    def _call_impl(self, *args, **kwargs):
        """The call itself: forward pre-hooks, ``forward``, forward hooks."""
        d = self.__dict__
        if d["_forward_pre_hooks"]:
            for hid, hook in list(d["_forward_pre_hooks"].items()):
                if hid in d["_forward_pre_hooks_with_kwargs"]:
                    res = hook(self, args, kwargs)
                    if res is not None:
                        args, kwargs = res
                else:
                    res = hook(self, args)
                    if res is not None:
                        args = res if isinstance(res, tuple) else (res,)
        backward_hooks = d["_backward_hooks"]
        if backward_hooks:
            state = _BackwardHookState(self, backward_hooks)
            args = state.wrap_inputs(args)
        token = push_scope(ModuleScope(self, current_scope()))
        try:
            result = self.forward(*args, **kwargs)
        finally:
            pop_scope(token)
        if d["_forward_hooks"]:
            for hid, hook in list(d["_forward_hooks"].items()):
                if hid in d["_forward_hooks_with_kwargs"]:
                    res = hook(self, args, kwargs, result)
                else:
                    res = hook(self, args, result)
                if res is not None:
                    result = res
        if backward_hooks:
            result = state.wrap_outputs(result)
        return result

    def compile(self, *args, **kwargs) -> None:
        """Compile this module's calls in place with ``autograd.compile`` (torch's
        ``Module.compile``): the first call traces the forward, later ones replay it; the
        outputs' backward runs the traced backward. Arguments go to ``autograd.compile``.

        Example:
            >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
            >>> model.compile()
            >>> model(autograd.randn(3, 4)).shape
            autograd.Size([3, 2])
        """
        self.__dict__["_compiled_call"] = autograd.compile(self._call_impl, *args, **kwargs)

    def _compiled_wrapper(self, **options) -> "OptimizedModule":
        """What ``autograd.compile(module)`` returns (see OptimizedModule)."""
        return OptimizedModule(self, **options)

    # ---- hooks -----------------------------------------------------------------------------
    @staticmethod
    def _add_hook(hooks, hook, prepend, kw_set=None, with_kwargs=False):
        handle = RemovableHandle(hooks, *(() if kw_set is None else (_SetAsDict(kw_set),)))
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        if with_kwargs and kw_set is not None:
            kw_set.add(handle.id)
        return handle

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """``hook(module, args) -> None or new args`` runs before ``forward``.

        Example:
            >>> h = nn.Identity().register_forward_pre_hook(lambda m, a: None); h.remove()
        """
        return self._add_hook(
            self._forward_pre_hooks, hook, prepend, self._forward_pre_hooks_with_kwargs, with_kwargs
        )

    def register_forward_hook(
        self, hook, *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False
    ):
        """``hook(module, args, output) -> None or new output`` runs after ``forward``.

        Example:
            >>> seen = []
            >>> lin = nn.Linear(2, 2); h = lin.register_forward_hook(lambda m, a, o: seen.append(o.shape))
            >>> _ = lin(autograd.zeros(1, 2)); seen
            [autograd.Size([1, 2])]
        """
        return self._add_hook(
            self._forward_hooks, hook, prepend, self._forward_hooks_with_kwargs, with_kwargs
        )

    def register_full_backward_hook(self, hook, prepend: bool = False):
        """``hook(module, grad_input, grad_output) -> None or new grad_input`` runs when the
        gradients w.r.t. the module's tensor inputs have been computed.

        Example:
            >>> grads = []
            >>> lin = nn.Linear(2, 1)
            >>> h = lin.register_full_backward_hook(lambda m, gi, go: grads.append(go[0].shape))
            >>> lin(autograd.ones(3, 2)).sum().backward(); grads
            [autograd.Size([3, 1])]
        """
        return self._add_hook(self._backward_hooks, hook, prepend)

    def register_backward_hook(self, hook):
        """Deprecated in torch; behaves like ``register_full_backward_hook`` here."""
        return self.register_full_backward_hook(hook)

    # ---- state dict ------------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """An ordered dict of every parameter and persistent buffer by dotted name.

        Tensors are detached but share memory with the model (copy them to snapshot).

        Example:
            >>> list(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).state_dict())  # doctest: +NORMALIZE_WHITESPACE
            ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var',
             '1.num_batches_tracked']
        """
        if args:  # torch's deprecated positional form: state_dict(destination, prefix, keep_vars)
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        for hook in self._state_dict_hooks.values():
            res = hook(self, destination, prefix, {})
            if res is not None:
                destination = res
        return destination

    def _local_state(self):
        """(name -> tensor) of what this module itself saves (no children)."""
        out = OrderedDict()
        self._save_to_state_dict(out, "", keep_vars=True)
        return out

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy parameters and buffers from ``state_dict`` into this module.

        All-or-nothing: every key, shape and dtype is checked first; on any problem a
        ``CheckpointError`` (a RuntimeError, with PyTorch's "Error(s) in loading state_dict"
        report) is raised and the module is left untouched. With ``strict=False`` missing
        and unexpected keys are returned instead of raising. Unlike torch, a floating dtype
        mismatch is an error too (convert the model with ``.to(dtype)`` first), so a load
        never silently loses precision.

        Example:
            >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
            >>> b.load_state_dict(a.state_dict())
            <All keys matched successfully>
        """
        return _load_state_dict(self, state_dict, strict, assign)

    def register_state_dict_post_hook(self, hook):
        return self._add_hook(self._state_dict_hooks, hook, False)

    # ---- printing ----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """Override to show a layer's settings inside its repr (e.g. ``in_features=2``)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, m in self._modules.items():
            lines.append(f"({name}): " + _addindent(repr(m), 2))
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


class OptimizedModule(Module):
    """``autograd.compile(module)``: a module whose calls run ``module`` compiled (torch's
    ``OptimizedModule``). ``module`` itself is unchanged and shared: it is ``_orig_mod``
    (so ``state_dict`` keys start with ``_orig_mod.``, as in torch), and attributes not
    found here are looked up on it (``compiled.weight``, ``compiled.train()`` ...)."""

    def __init__(self, mod: Module, **options):
        super().__init__()
        self._orig_mod = mod
        self.training = mod.training
        self.compile(**options)

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.__dict__["_modules"]["_orig_mod"], name)
