"""Guards: what a plan assumes about a call, checked before every replay.

A plan replays what one traced call did, so it is right for another call only when
everything the trace depended on is the same. Two parts:

* ``call_key(leaves)``: a hashable summary of the call, computed on every call and used to
  look plans up: each argument's structure, each tensor's shape, dtype, ``requires_grad``
  and whether it is a leaf, each Python scalar's value, other objects' identity; grad
  mode, the backend, the default dtype.
* ``Guards``: what the function reaches besides its arguments, found by following its
  closure, the globals its code names and its arguments (and, for a module, the module):
  every ``nn.Module`` there (its ``training`` flag, its public scalar attributes such as
  ``p`` or ``eps``, which parameters and buffers it holds), the tensors held there by
  identity (with their shapes, dtypes and ``requires_grad``), and scalars there by value.

Python values reached any other way are constants of the trace (docs/compile.md).

Example:
    >>> import autograd
    >>> k1 = call_key([autograd.ones(2, 3), 0.5])
    >>> k1 == call_key([autograd.zeros(2, 3), 0.5]), k1 == call_key([autograd.ones(3), 0.5])
    (True, False)
"""

from __future__ import annotations

import math
import types

from .. import dtypes as _dtypes
from ..backend import _backend
from ..grad_mode import _grad_enabled
from ..tensor import Tensor

_SCALARS = (bool, int, float, str, type(None), complex)


def _scalar_key(v):
    if type(v) is float and math.isnan(v):
        return (float, "nan")
    return (type(v), v)


def call_key(leaves) -> tuple:
    """The hashable key of a call's flattened arguments plus the global modes."""
    parts = []
    for v in leaves:
        if isinstance(v, Tensor):
            a = v._data
            parts.append((a.shape, a.dtype, v._requires_grad, v.grad_fn is None))
        elif type(v) in _SCALARS or (type(v) is tuple and all(type(x) in _SCALARS for x in v)):
            parts.append(_scalar_key(v) if type(v) is not tuple else (tuple, v))
        else:
            parts.append((type(v), id(v)))
    return (tuple(parts), _grad_enabled.get(), _backend.get(), _dtypes._default_float)


def describe_difference(old: tuple, new: tuple, names) -> str:
    """Which part of two call keys differs, in words (for the recompilation warning)."""
    (a, ga, ba, da), (b, gb, bb, db) = old, new
    if ga != gb:
        return f"grad mode changed to {gb}"
    if ba != bb:
        return f"the backend changed to {bb}"
    if da != db:
        return f"the default dtype changed to {db}"
    if len(a) != len(b):
        return "the number of arguments changed"
    for k, (x, y) in enumerate(zip(a, b)):
        if x != y:
            name = names[k] if k < len(names) else f"argument {k}"
            if len(x) == 4 and len(y) == 4 and x[0] != y[0]:
                return f"the shape of {name} changed from {list(x[0])} to {list(y[0])}"
            return f"{name} changed ({x} -> {y})"
    return "a parameter, module flag or closure value changed"


def _is_module(v) -> bool:
    """nn.Module, recognised without importing nn (autograd never imports it)."""
    d = getattr(v, "__dict__", None)
    return (
        d is not None
        and isinstance(d.get("_parameters"), dict)
        and isinstance(d.get("_modules"), dict)
        and "training" in d
    )


_HOOKS = (
    "_forward_hooks",
    "_forward_pre_hooks",
    "_backward_hooks",
    "_backward_pre_hooks",
    "_state_dict_hooks",
)


class Guards:
    """The state a plan depends on beyond its call key; ``check()`` is True when it holds.

    ``reach(fn, leaves)`` collects it; ``tensors`` are the externals the tracer watches and
    the plan reads again on each replay; ``hooks`` names a module with hooks (not
    replayable), or is None."""

    def __init__(self):
        self.modules = []  # (module, training, {public scalar attribute: value})
        self.params = []  # (module, name, tensor): which tensor a module holds
        self.tensors = []  # (tensor, shape, dtype, requires_grad, is_leaf)
        self.cells = []  # (cell, expected, by_identity)
        self.globals = []  # (globals dict, name, expected, by_identity)
        self.hooks = None
        self._seen = set()

    # ---- collecting --------------------------------------------------------------------
    def reach(self, fn, leaves) -> Guards:
        for v in leaves:
            if _is_module(v):
                self._module(v)
        self._object(getattr(fn, "__self__", None), 0)
        self._function(fn, 0)
        return self

    def _function(self, fn, depth):
        fn = getattr(fn, "__func__", fn)
        code = getattr(fn, "__code__", None)
        if code is None or id(fn) in self._seen or depth > 3:
            return
        self._seen.add(id(fn))
        for cell in fn.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell (a name assigned later)
                continue
            self._value(
                value,
                depth,
                lambda v, c=cell: self.cells.append((c, v, not isinstance(v, _SCALARS))),
            )
        for v in (fn.__defaults__ or ()) + tuple((fn.__kwdefaults__ or {}).values()):
            self._value(v, depth, lambda v: None)  # (default values are fixed objects)
        g = fn.__globals__
        for name in _global_names(code):
            if name in g:
                self._value(
                    g[name],
                    depth,
                    lambda v, n=name: self.globals.append((g, n, v, not isinstance(v, _SCALARS))),
                )

    def _value(self, v, depth, guard):
        if isinstance(v, _SCALARS) or (
            type(v) is tuple and all(isinstance(x, _SCALARS) for x in v)
        ):
            guard(v)
        elif isinstance(v, Tensor):
            guard(v)
            self._tensor(v)
        elif isinstance(v, types.FunctionType):
            guard(v)
            self._function(v, depth + 1)
        elif isinstance(v, types.MethodType):
            self._object(v.__self__, depth)
            self._function(v.__func__, depth + 1)
        elif _is_module(v):
            guard(v)
            self._module(v)
        elif isinstance(v, (list, tuple)) and len(v) <= 64:
            for x in v:  # (a list of modules or tensors; only what it holds now)
                if _is_module(x):
                    self._module(x)
                elif isinstance(x, Tensor):
                    self._tensor(x)
        else:
            self._object(v, depth)

    def _first_visit(self, v) -> bool:
        """True the first time ``v`` is met (it is marked as seen)."""
        if id(v) in self._seen:
            return False
        self._seen.add(id(v))
        return True

    def _object(self, v, depth):
        if v is None or id(v) in self._seen:
            return
        if _is_module(v):
            self._module(v)
        elif isinstance(getattr(v, "param_groups", None), list):  # an optimizer
            self._first_visit(v)
            for group in v.param_groups:
                for p in group.get("params", ()):
                    if isinstance(p, Tensor):
                        self._tensor(p)

    def _module(self, m):
        if not self._first_visit(m):
            return
        d = m.__dict__
        if any(d.get(h) for h in _HOOKS) and self.hooks is None:
            self.hooks = type(m).__name__
        attrs = {
            k: v
            for k, v in d.items()
            if not k.startswith("_")
            and (
                isinstance(v, _SCALARS)
                or (type(v) is tuple and all(isinstance(x, _SCALARS) for x in v))
            )
        }
        self.modules.append((m, d["training"], attrs))
        for kind in ("_parameters", "_buffers"):
            for name, t in d[kind].items():
                self.params.append((d[kind], name, t))
                if t is not None:
                    self._tensor(t)
        for name, v in d.items():  # tensors kept as plain attributes (self.mask = ...)
            if isinstance(v, Tensor) and not name.startswith("__"):
                self.params.append((d, name, v))
                self._tensor(v)
        for child in d["_modules"].values():
            if child is not None:
                self._module(child)

    def _tensor(self, t):
        if not self._first_visit(t):
            return
        a = t._data
        self.tensors.append((t, a.shape, a.dtype, t._requires_grad, t.grad_fn is None))

    # ---- checking -----------------------------------------------------------------------
    def check(self) -> bool:
        """True when the state the plan was traced with still holds. It runs before every
        replay, so its first call replaces it, on this instance, with ``generated_check()``:
        the tests of ``general_check()`` written out for these guards (no loops, no tuple
        unpacking, the expected values bound as names)."""
        self.check = self.generated_check()  # type: ignore[method-assign]
        return self.check()

    def add_tensors(self, tensors) -> None:
        """Guard more tensors (those the tracer discovered): (tensor, shape, dtype,
        requires_grad, is_leaf) each; the generated check is made again."""
        self.tensors.extend(tensors)
        self.__dict__.pop("check", None)

    def generated_check(self):
        """``general_check`` as one generated function of no arguments (the same comparisons in
        the same order, so the same answer and the same exceptions)."""
        env: dict = {"MISSING": _MISSING}
        lines = ["def check():"]

        def name(prefix, value):
            key = f"{prefix}{len(env)}"
            env[key] = value
            return key

        for m, training, attrs in self.modules:
            lines.append(f"    d = {name('m', m)}.__dict__")
            tests = [f'd["training"] != {name("c", training)}']
            tests += [f"d.get({k!r}, MISSING) != {name('c', v)}" for k, v in attrs.items()]
            lines.append(f"    if {' or '.join(tests)}:\n        return False")
        for holder, key, t in self.params:
            lines.append(f"    if {name('h', holder)}.get({key!r}, MISSING) is not {name('t', t)}:")
            lines.append("        return False")
        for t, shape, dtype, rg, leaf in self.tensors:
            tn = name("t", t)
            lines.append(f"    a = {tn}._data")
            lines.append(
                f"    if a.shape != {name('c', shape)} or a.dtype != {name('c', dtype)} or "
                f"{tn}._requires_grad != {name('c', rg)} or "
                f"({tn}.grad_fn is None) != {name('c', leaf)}:\n        return False"
            )
        for cell, v, by_id in self.cells:
            lines.append(f"    try:\n        now = {name('cell', cell)}.cell_contents")
            lines.append("    except ValueError:\n        return False")
            lines.append(f"    if {_differs(name('c', v), by_id)}:\n        return False")
        for g, key, v, by_id in self.globals:
            lines.append(f"    now = {name('g', g)}.get({key!r}, MISSING)")
            lines.append(f"    if {_differs(name('c', v), by_id)}:\n        return False")
        lines.append("    return True")
        exec(compile("\n".join(lines), "<autograd.compile guards>", "exec"), env)
        return env["check"]

    def general_check(self) -> bool:
        """The reference ``check``: a loop over each kind of guard."""
        for m, training, attrs in self.modules:
            d = m.__dict__
            if d["training"] != training:
                return False
            for k, v in attrs.items():
                if d.get(k, _MISSING) != v:
                    return False
        for holder, name, t in self.params:
            if holder.get(name, _MISSING) is not t:
                return False
        for t, shape, dtype, rg, leaf in self.tensors:
            a = t._data
            if (
                a.shape != shape
                or a.dtype != dtype
                or t._requires_grad != rg
                or (t.grad_fn is None) != leaf
            ):
                return False
        for cell, v, by_id in self.cells:
            try:
                now = cell.cell_contents
            except ValueError:
                return False
            if (now is not v) if by_id else (type(now) is not type(v) or now != v):
                return False
        for g, name, v, by_id in self.globals:
            now = g.get(name, _MISSING)
            if (now is not v) if by_id else (type(now) is not type(v) or now != v):
                return False
        return True


_MISSING = object()


def _differs(expected: str, by_id: bool) -> str:
    """The test of ``general_check`` that a cell's or global's value ``now`` changed."""
    if by_id:
        return f"now is not {expected}"
    return f"type(now) is not type({expected}) or now != {expected}"


def _global_names(code) -> set:
    """The global names ``code`` (and the code nested in it: lambdas, comprehensions) uses."""
    names, stack = set(), [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return names
