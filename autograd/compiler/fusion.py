"""Fusion: runs of elementwise steps of a plan replaced by one generated Numba kernel.

A training step's plan calls many small elementwise ops one after the other: the bias add
after a matmul (``Expand`` of the bias, then ``Add``), the ``Relu`` after it, a residual
``Add``; in the backward, their VJPs. Each call costs far more Python (the op's checks,
the kernel wrapper, a new array) than arithmetic at the sizes small models use. This module
finds those runs and writes one loop over the elements for each, so a run costs one call.

The kernel bodies come from a table (``FORWARD``, ``VJP``), one entry per op class of the
registry that can be fused, written to compute exactly what that op's ``forward`` and
``backward`` compute, operation for operation (same operands, same order, each intermediate
of the op's own dtype), so float64 results equal eager mode's bit for bit and float32 ones
too. (The design in docs/compile.md derives the bodies from the ops by running them on
symbolic arrays; the table is what is built today, and a test runs every entry against its
op.) Transcendental functions (``np.tanh``, ``np.exp`` ...) are never in a forward body:
NumPy's SIMD versions and Numba's libm ones can differ in the last bit. Their VJPs are
plain arithmetic on the saved output (``g * (1 - y * y)``) and are fused.

What joins a run (``forward_groups``): consecutive ``OpStep``s of a table op whose result
has one shape and one float dtype, with array inputs of that dtype and that shape (or 0-d,
or the broadcast made by an ``Expand`` inside the run, or a ``Where``'s bool condition that
broadcasts to it). A step of a pure op (``_PURE``) that reads nothing the open run has made
may stand between its steps; it is emitted before the run's kernel. In the backward
(``_Builder._vjp_runs`` in plan.py): consecutive VJP calls in the engine's order of table
ops whose gradients all have the output's shape. Anything else (a reduction, a matmul,
indexing that reads the run's values, a kernel of its own, an int or mixed dtype) ends a
run; single steps are left alone.

Generated kernels are Python modules ``fused_<hash>.py`` in ``cache_dir()``, named by a hash
of their source, written atomically (a temporary name, then ``os.replace``), and compiled by
Numba with ``cache=True``: a second process loads the machine code instead of compiling.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile

import numpy as np

from .. import version as _version
from ..ops import unary
from ..ops.activation import Relu
from ..ops.arithmetic import Add, Mul, Neg, Sub
from ..ops.compare import Pointwise, Where
from ..ops.movement import PERMUTES, Expand, Reshape
from ..ops.indexing import GetItem
from ..ops.slicing import Narrow

enabled = True  # set False to replay every step as its op's own call (for comparisons)

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


# ---- the table: each op's arithmetic, as the op computes it ---------------------------------
# FORWARD[op](args) -> the expression of the op's result from its inputs' expressions.
# VJP[op](g, saved, needs) -> per input, the expression of its gradient (None: no gradient);
# ``saved`` are the expressions of what the op's forward passed to ``save_for_backward``.
# ``zero``/``one`` are the dtype's 0 and 1 (kernel locals).
FORWARD = {
    Add: lambda a: f"({a[0]} + {a[1]})",  # np.add
    Sub: lambda a: f"({a[0]} - {a[1]})",  # np.subtract
    Mul: lambda a: f"({a[0]} * {a[1]})",  # np.multiply
    Neg: lambda a: f"(-{a[0]})",  # np.negative
    Relu: lambda a: f"(zero if {a[0]} < zero else {a[0]})",  # kernels.activation.relu_fwd
    Where: lambda a: f"({a[1]} if {a[0]} else {a[2]})",  # np.where / masked_fill: a pick
}
VJP = {
    Add: lambda g, s, need: [g, g],
    Sub: lambda g, s, need: [g, f"(-{g})" if need[1] else None],
    Neg: lambda g, s, need: [f"(-{g})"],
    Mul: lambda g, s, need: [
        f"({g} * {s[1]})" if need[0] else None,
        f"({g} * {s[0]})" if need[1] else None,
    ],
    Relu: lambda g, s, need: [f"({g} if {s[0]} > zero else zero)"],  # relu_bwd
}


# where(cond, a, b) (masked_fill: b, with a constant where cond holds): the gradient picked
# into a or b, +0.0 elsewhere (Where.backward's np.where / masking kernel). ``cond`` is a bool
# array of the gradient's shape or of trailing dims it broadcasts over (attention's causal
# mask, read with a broadcasting subscript): see ``broadcasts``.
VJP[Where] = lambda g, s, need: [
    None,
    f"({g} if {s[0]} else zero)" if need[1] else None,
    f"(zero if {s[0]} else {g})" if need[2] else None,
]
VJP[unary.tanh.op] = lambda g, s, need: [f"({g} * (one - {s[0]} * {s[0]}))"]  # y = tanh x
VJP[unary.sigmoid.op] = lambda g, s, need: [f"({g} * {s[0]} * (one - {s[0]}))"]  # y = sigmoid x
VJP_NAMES = [op.__name__ for op in VJP]


def saved_layout(node, inputs):
    """What the traced ``node`` saved, as positions: per value None, ("in", i) for its i-th
    input, ("out",) for its output; and its ctx attributes. None when it saved anything
    else or keeps attributes that are not plain constants (the step is then not fused)."""
    layout = []
    for rec in node._saved if isinstance(node._saved, tuple) else ():
        if rec is None:
            layout.append(None)
        elif isinstance(rec[1], int):
            layout.append(("out",))
        else:
            for i, t in enumerate(inputs):
                # (a saved Python number operand, ``Tensor._number``, is kept as its array)
                if rec[1] is t or (rec[1] is None and rec[0] is t._data):
                    layout.append(("in", i))
                    break
            else:
                return None
    attrs = dict(node.__dict__)
    for k, v in attrs.items():
        if k.startswith("_") or not _plain(v):
            return None
    return tuple(layout), attrs


def _plain(v) -> bool:
    if v is None or type(v) in (bool, int, float, str):
        return True
    return type(v) is tuple and all(_plain(x) for x in v)


def broadcasts(shape, full) -> bool:
    """An array of ``shape`` broadcasts to ``full`` over leading dims and size-1 dims (what
    ``index`` reads with a broadcasting subscript)."""
    lead = len(full) - len(shape)
    return lead >= 0 and all(d in (1, full[lead + j]) for j, d in enumerate(shape))


# ---- which steps join a run ----------------------------------------------------------------
def fusable_forward(step) -> bool:
    """An op step whose forward the table has, on one float dtype, without random draws."""
    op = step.op
    if op is not Expand and op not in FORWARD:
        return False
    if step.draws_random or step.out.dtype not in _FLOATS or step.out.shape is None:
        return False
    if step.saved is None and step.node is not None:
        return False
    if set(step.params) - ({"shape"} if op is Expand else set()):
        return False  # (the table's ops take no parameters)
    if op is Where and step.ins[0] is not None and step.ins[0].dtype == np.bool_:
        return all(s is not None and s.dtype == step.out.dtype for s in step.ins[1:])
    return all(s is not None and s.dtype == step.out.dtype for s in step.ins)


def _starts(step) -> bool:
    """``step`` can be in a run: an op step of the table whose inputs have its result's
    shape or are 0-d (an ``Expand``: any input it broadcasts; a ``Where``: a condition it
    broadcasts over leading dims, read with a broadcasting subscript)."""
    if type(step).__name__ != "OpStep" or not fusable_forward(step):
        return False
    if step.op is Where and step.ins[0].shape is not None:
        cond, ins = step.ins[0], step.ins[1:]
        if not broadcasts(cond.shape, step.out.shape):
            return False
        return all(s.shape in (step.out.shape, ()) for s in ins)
    return step.op is Expand or all(s.shape in (step.out.shape, ()) for s in step.ins)


# Ops whose forward only makes its result (some ops' forwards also write elsewhere, such as
# batch_norm's running statistics): one of them may be moved before a run's kernel.
_PURE = (GetItem, Narrow, Pointwise, Reshape, *PERMUTES, Expand)


def _independent(step, made) -> bool:
    """``step`` may run before the steps of the open run (``made``: the slots they make): a
    step of a pure op (``_PURE``, the table's) that reads none of them and draws no random
    numbers (a causal mask made from a buffer between a scaling and its ``masked_fill``)."""
    if type(step).__name__ != "OpStep" or step.draws_random:
        return False
    if step.op not in _PURE and step.op not in FORWARD:
        return False
    return all(s is None or s.n not in made for s in step.ins)


def forward_groups(steps, used_later) -> list[list[int]]:
    """Runs of consecutive fusable op steps (indices into ``steps``) of one result shape and
    dtype, at least two steps with one that computes; op steps that do not read what the
    run has made may stand between them (they run before the kernel). ``used_later(slot, k)`` tells whether
    a slot is read after step ``k``: an ``Expand`` whose broadcast is read outside its run
    stays a step (emitted before the kernel), as does one of a value the run computes."""
    runs, cur = [], []
    for k, step in enumerate(steps):
        if cur and _starts(step):
            first = steps[cur[0]].out
            if step.out.shape == first.shape and step.out.dtype == first.dtype:
                cur.append(k)
                continue
        if cur and not _starts(step) and _independent(step, {steps[j].out.n for j in cur}):
            continue  # (the run stays open: this step is emitted before its kernel)
        runs.append(cur)
        cur = [k] if _starts(step) else []
    runs.append(cur)
    groups = []
    for run in runs:
        made = {steps[k].out.n for k in run}
        end = run[-1] if run else 0
        kept = []
        for k in run:
            step = steps[k]
            if step.op is Expand and used_later(step.out, end):
                if step.ins[0].n in made:
                    kept = []
                    break
                continue
            kept.append(k)
        if len(kept) >= 2 and any(steps[k].op is not Expand for k in kept):
            groups.append(kept)
    return groups


# ---- kernel source -------------------------------------------------------------------------
def index(shape, full) -> str:
    """The subscript reading an array of ``shape`` at position (i0, i1 ...) of an array of
    shape ``full`` that it broadcasts to."""
    if shape == ():
        return "()"
    lead = len(full) - len(shape)
    parts = ["0" if d == 1 and full[lead + j] != 1 else f"i{lead + j}" for j, d in enumerate(shape)]
    return ", ".join(parts) + ("," if len(parts) == 1 else "")


def kernel_source(n_in, in_shapes, shape, body, outs) -> str:
    """A Numba kernel ``kernel(a0 .. a<n_in-1>, o0 ..)`` computing ``body`` (lines of
    ``t<k> = expression`` over ``x<j>``, the inputs' elements) at every position of
    ``shape`` and storing ``outs`` (temporaries) into the outputs."""
    args = [f"a{j}" for j in range(n_in)] + [f"o{j}" for j in range(len(outs))]
    lines = [
        "# generated by autograd.compiler.fusion: one elementwise run of a compiled plan",
        "import numba",
        "",
        "",
        "@numba.njit(cache=True, nogil=True)",
        f"def kernel({', '.join(args)}):",
        "    zero = o0.dtype.type(0.0)",
        "    one = o0.dtype.type(1.0)",
    ]
    ind = "    "
    for j, s in enumerate(in_shapes):  # 0-d inputs are read once
        if s == ():
            lines.append(f"{ind}x{j} = a{j}[()]")
    for d in range(len(shape)):
        lines.append(f"{ind}for i{d} in range(o0.shape[{d}]):")
        ind += "    "
    for j, s in enumerate(in_shapes):
        if s != ():
            lines.append(f"{ind}x{j} = a{j}[{index(s, shape)}]")
    lines += [ind + line for line in body]
    pos = index(shape, shape)
    lines += [f"{ind}o{j}[{pos}] = {t}" for j, t in enumerate(outs)]
    lines.append(f"{ind}pass" if not shape else "")
    return "\n".join(lines).rstrip() + "\n"


# ---- generated modules in the user cache ---------------------------------------------------
def cache_dir() -> str:
    """``<user cache>/jitgrad/compiled/<version>``: ``AUTOGRAD_CACHE_DIR`` if set, else
    ``$XDG_CACHE_HOME/jitgrad`` or ``~/.cache/jitgrad`` (a temporary folder if none is
    writable)."""
    base = os.environ.get("AUTOGRAD_CACHE_DIR")
    if not base:
        home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(home, "jitgrad")
    path = os.path.join(base, "compiled", _version.__version__)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        path = os.path.join(tempfile.gettempdir(), "jitgrad-compiled", _version.__version__)
        os.makedirs(path, exist_ok=True)
    return path


_loaded: dict = {}  # source hash -> kernel (one per process)


def load_kernel(source: str):
    """The kernel of generated ``source``: its module written once (atomically) to
    ``cache_dir()``, imported, its Numba cache next to it."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    kernel = _loaded.get(digest)
    if kernel is not None:
        return kernel
    folder = cache_dir()
    name = f"fused_{digest}"
    path = os.path.join(folder, name + ".py")
    if not _same_file(path, source):
        fd, tmp = tempfile.mkstemp(prefix=name, suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(source)
        os.replace(tmp, path)  # (atomic: a reader sees the old file or the whole new one)
    spec = importlib.util.spec_from_file_location(f"autograd_fused.{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules.setdefault(spec.name, module)
    kernel = _loaded[digest] = module.kernel
    return kernel


def _same_file(path, source) -> bool:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read() == source
    except OSError:
        return False
