"""The Tensor: an n-dimensional array that can record how it was computed.

A Tensor wraps a NumPy array (``_data``) plus the autograd bookkeeping:

* ``requires_grad``: whether operations on it are recorded;
* ``grad_fn``: the graph node that produced it (None for leaves);
* ``grad``: for leaves, the accumulated gradient after ``backward()``;
* a version counter, shared with views, bumped by in-place operations so the engine can
  refuse to use a saved value that has since been overwritten.

This module is the data structure only. The methods that are ops (``x.exp()``, ``x + y``,
``x.sum(1)``, ``x.add_(y)`` ...) are the op functions of ``autograd/ops/``, attached by
``autograd/tensor_methods.py`` when the package initialises (the ops import this module, so
it cannot import them); ``tensor.pyi`` lists the whole class for editors.

Example:
    >>> import autograd
    >>> x = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 4., 6.])
"""

from __future__ import annotations

import numbers
import warnings
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import dtypes as _dt
from . import devices as _devices
from .dtypes import FLOAT_KINDS
from .dtypes import _C_NAMES as _C_NAMES, _SCALAR_NAMES as _SCALAR_NAMES  # (re-exported)
from ._operands import _NUMBER_CELL as _NUMBER_CELL, _operand as _operand  # (re-exported)
from ._repr import tensor_repr


class Size(tuple):
    """A tensor's shape: a tuple of ints (``torch.Size``)."""

    def __repr__(self):
        return f"autograd.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


def _rebuild_tensor(cls, arr, requires_grad, extra):
    """Unpickling (see Tensor.__reduce_ex__): a leaf of class ``cls`` owning ``arr``."""
    t = cls._make(arr, requires_grad)
    for name, value in extra.items():
        setattr(t, name, value)
    return t


def _check_float_for_grad(dtype: np.dtype):
    if dtype.kind not in FLOAT_KINDS:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


def _infer_dtype(data):
    """torch.tensor's rule: Python floats -> default float, ints -> int64, bools -> bool."""
    kinds = set()
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            kinds.add(x.dtype)
        elif isinstance(x, np.ndarray):
            kinds.add(
                _dt.from_numpy_dtype(x.dtype)
                if x.dtype.kind not in FLOAT_KINDS or x.ndim
                else _dt.from_numpy_dtype(x.dtype)
            )
        elif isinstance(x, (list, tuple, range)):
            stack.extend(x)
        elif isinstance(x, (bool, np.bool_)):
            kinds.add(_dt.bool_)
        elif isinstance(x, (numbers.Integral,)):
            kinds.add(_dt.int64)
        elif isinstance(x, np.generic):
            kinds.add(_dt.from_numpy_dtype(x.dtype))
        elif isinstance(x, numbers.Real):
            kinds.add(_dt.get_default_dtype())
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
    if not kinds:
        return _dt.get_default_dtype()
    out = None
    for k in kinds:
        out = k if out is None else _dt.promote_types(out, k)
    return out


def _to_array(data, dtype=None) -> np.ndarray:
    """Convert nested lists / arrays / tensors / numbers into a fresh ndarray of ``dtype``."""
    # (a number beyond a float type becomes inf without NumPy's overflow warning, as in torch)
    with np.errstate(over="ignore"):
        return _array_of(data, dtype)


def _array_of(data, dtype) -> np.ndarray:
    if isinstance(data, Tensor):
        arr = data._data
        dt = _dt.as_dtype(dtype) if dtype is not None else data.dtype
        return np.array(arr, dtype=dt.np, copy=True)
    if isinstance(data, np.ndarray):
        dt = _dt.as_dtype(dtype) if dtype is not None else _dt.from_numpy_dtype(data.dtype)
        return np.array(data, dtype=dt.np, copy=True)
    dt = _dt.as_dtype(dtype) if dtype is not None else _infer_dtype(data)

    def unwrap(x):
        if isinstance(x, Tensor):
            return x._data
        if isinstance(x, (list, tuple, range)):
            return [unwrap(v) for v in x]
        return x

    try:
        arr = np.array(unwrap(data), dtype=dt.np)
    except ValueError as e:
        raise ValueError(
            f"tensor(): could not build a tensor from the data ({e}); nested "
            "sequences must be rectangular"
        ) from None
    if arr.dtype == object:
        raise TypeError("tensor(): data must be numbers or nested sequences of numbers")
    return arr


# How a Tensor takes an array that is not exactly an ``np.ndarray`` (a NumPy scalar, an
# ndarray subclass): ``np.asarray``. While autograd.compile traces a call it is
# ``np.asanyarray``, so the tracer's watched arrays stay watched (autograd/compiler/watch.py).
_asarray = np.asarray
# (``Tensor._make`` runs for every op: these are read as module globals, not looked up as
# attributes each time)
_new, _ndarray = object.__new__, np.ndarray


class Tensor:
    """A multi-dimensional array with automatic differentiation (see module docstring)."""

    __slots__ = (
        "_data",
        "_requires_grad",
        "_grad",
        "grad_fn",
        "_output_nr",
        "_version_cell",
        "__weakref__",
        "__dict__",
    )

    # Rarely set attributes live in the instance __dict__ only when used; these class-level
    # defaults keep creating a tensor cheap (it happens for every op).
    _accum = None  # weakref to this leaf's AccumulateGrad node
    _retains_grad = False
    _retain_hook = None  # retain_grad's hook: it moves to the new node on an in-place write
    _leaf_hooks = None  # hooks on a leaf's gradient
    _post_acc_hooks = None
    name = None
    # Views (see ops/_views.py ``_view_of``): a view keeps ``_view = (base, steps,
    # made_in_no_grad)``, where ``steps`` replays the view from its base; a base keeps
    # weak references to its views in ``_views`` so an in-place write can update them.
    _view = None
    _views = None
    # Forward-mode AD (autograd/forward_ad.py): ``(level, tangent)`` while this tensor is a
    # dual tensor of an open dual level
    _fw = None

    # ``ndarray + Tensor`` must defer to Tensor.__radd__ rather than let NumPy iterate us.
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __init__(self, data=None, *, dtype=None, requires_grad=False) -> None:
        arr = _to_array([] if data is None else data, dtype)
        self._init(arr)
        if requires_grad:
            self.requires_grad_(True)

    def _init(self, arr):
        self._data = arr
        self._requires_grad = False
        self._grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._version_cell = [0]

    # ---- fast internal constructors (no checks) ---------------------------------
    @classmethod
    def _make(cls, arr, requires_grad=False) -> Tensor:
        t = _new(cls)  # (the fields of _init, set directly: this runs per op)
        t._data = arr if type(arr) is _ndarray else _asarray(arr)
        t._requires_grad = requires_grad
        t._grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._version_cell = [0]
        return t

    @classmethod
    def _number(cls, value, npdtype) -> Tensor:
        """A Python number operand of an op (the ``2.0`` of ``y * 2.0``) as a 0-d constant of
        ``npdtype``. Its version counter is the shared ``_NUMBER_CELL``: the op functions make
        it for that one call and never hand it out, so nothing writes into it, and an op
        that saves it for backward keeps just its value (function.py ``_resolve_saved1``)."""
        t = object.__new__(cls)  # (the fields of _init, set directly: once per such op)
        t._data = _operand(value, npdtype)
        t._requires_grad = False
        t._grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._version_cell = _NUMBER_CELL
        return t

    @classmethod
    def _from_node(cls, arr, node, output_nr, version_cell) -> Tensor:
        t = object.__new__(cls)  # (the fields of _init, set directly: once per op)
        t._data = arr if type(arr) is np.ndarray else _asarray(arr)
        t._requires_grad = True
        t._grad = None
        t.grad_fn = node
        t._output_nr = output_nr
        t._version_cell = [0] if version_cell is None else version_cell
        return t

    def _grad_accumulator(self) -> AccumulateGrad:
        """The AccumulateGrad node of this leaf, shared by every use of the leaf (held
        weakly here: the graph owns it, so it dies with the graph)."""
        ref = self._accum
        acc = ref() if ref is not None else None
        if acc is None:
            acc = AccumulateGrad(self)
            self._accum = weakref.ref(acc)
        return acc

    # ---- autograd attributes ---------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place on a leaf; returns self."""
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use "
                    "a computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach()."
                )
            return self
        if requires_grad:
            _check_float_for_grad(self._data.dtype)
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        if self.grad_fn is not None and not self._retains_grad and self._grad is None:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_C_NAMES[value._data.dtype.name]}' "
                    f"to a tensor with grad_dtype '{_SCALAR_NAMES[self._data.dtype.name]}'. The "
                    "gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). "
                    f"Convert it first: t.grad = g.to({self.dtype})"
                )
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to "
                    f"a tensor of size '{list(self.shape)}'. Please ensure that the "
                    "gradient and the tensor are the same size"
                )
        from . import function  # (imported here: function imports this module)

        if function._tracer is not None:
            _grad_assigned_while_tracing(function._tracer, self, value)
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (no-op on leaves)."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        self._retains_grad = True
        ref = weakref.ref(self)

        def _retain(grad):
            t = ref()
            if t is not None:
                g = grad.detach() if isinstance(grad, Tensor) else Tensor._make(grad)
                if t._grad is None:
                    t._grad = g.clone()
                else:
                    t._grad = Tensor._make(t._grad._data + g._data)
            return None

        self._retain_hook = _retain
        self.grad_fn._add_tensor_hook(self._output_nr, _retain)

    def register_hook(self, hook) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned Tensor
        replaces the gradient. Returns a handle with ``.remove()``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._add_tensor_hook(self._output_nr, hook)
        if self._leaf_hooks is None:
            self._leaf_hooks = []
        self._leaf_hooks.append(hook)
        return RemovableHandle(self._leaf_hooks, hook)

    def register_post_accumulate_grad_hook(self, hook) -> RemovableHandle:
        """Call ``hook(tensor)`` after ``.grad`` of this leaf has been updated."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        return RemovableHandle(self._post_acc_hooks, hook)

    @property
    def _version(self) -> int:
        return self._version_cell[0]

    def _bump_version(self) -> None:
        self._version_cell[0] += 1

    # ---- data access -------------------------------------------------------------
    @property
    def data(self) -> "Tensor":
        """A detached tensor sharing this tensor's memory (changes to it are not tracked)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        value = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._data = value

    @property
    def _base(self) -> Tensor | None:
        """The tensor this view looks into (None if this tensor is not a view), as in torch."""
        view = self._view
        return None if view is None else view[0]

    def _is_view(self) -> bool:
        return self._view is not None

    def detach(self) -> "Tensor":
        """A new tensor sharing memory (and the version counter) with no graph history."""
        t = Tensor._make(self._data)
        t._version_cell = self._version_cell
        return t

    def detach_(self) -> "Tensor":
        """Detach this tensor from the graph in place (refused for a view, as in torch).

        Example:
            >>> y = autograd.ones(2, requires_grad=True) * 2
            >>> y.detach_().requires_grad
            False
        """
        if self._view is not None:  # (it shares its base's history, so it cannot drop it)
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is "
                "set as True, gradients are views of DDP buckets, and hence detach_() cannot "
                "be called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self.grad_fn = None
        self._requires_grad = False
        return self

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying NumPy array (shares memory)."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        return self._data.copy() if force else self._data

    def item(self) -> Any:
        """The single value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
        arr = self._data
        if dtype is not None and np.dtype(dtype) != arr.dtype:
            if copy is False:
                raise ValueError("Unable to avoid copy while creating an array as requested.")
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def __dlpack__(self, *args, **kwargs):
        if self._requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    # ---- shape / dtype info --------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None) -> Size | int:
        """The shape, or the length of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self) -> _dt.dtype:
        return _dt._FROM_NP[self._data.dtype]

    @property
    def device(self) -> _devices.device:
        """Always ``device(type='cpu')``: jitgrad computes on the CPU (see autograd.devices)."""
        return _devices.CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def is_cpu(self) -> bool:
        return True

    def get_device(self) -> int:
        """-1 for a CPU tensor, as in torch."""
        return -1

    def is_pinned(self) -> bool:
        return False

    def pin_memory(self):
        """Refused as torch's CPU build refuses it (there is no accelerator to pin for)."""
        raise _devices.no_accelerator()

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind in FLOAT_KINDS

    def is_complex(self) -> bool:
        return False

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of all the elements (``numel() * itemsize``)."""
        return self._data.size * self._data.itemsize

    @property
    def layout(self) -> _dt.layout:
        """Always ``strided``: dense tensors only (no sparse layouts)."""
        return _dt.strided

    def storage_offset(self) -> int:
        """Where this tensor starts in the memory of the array it views, in elements (0 for
        a tensor that owns its memory)."""
        base = self._data
        while isinstance(base.base, np.ndarray):
            base = base.base
        if base is self._data or base.size == 0:
            return 0
        offset = self._data.__array_interface__["data"][0] - base.__array_interface__["data"][0]
        return offset // self._data.itemsize

    def is_signed(self) -> bool:
        """True for signed dtypes: the floats and int8 ... int64 (not bool, uint8)."""
        return self.dtype.is_signed

    def is_nonzero(self) -> bool:
        """The truth value of a one-element tensor (torch's errors for more or none)."""
        if self._data.size == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        return bool(self)

    def is_same_size(self, other) -> bool:
        return self.shape == other.shape

    def stride(self, dim=None) -> tuple[int, ...] | int:
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self.ndim, "stride")]

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self) -> int:
        return self._data.ctypes.data

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __contains__(self, element) -> bool:
        return bool(
            (self._data == (element._data if isinstance(element, Tensor) else element)).any()
        )

    def __repr__(self) -> str:
        return tensor_repr(self)

    def __format__(self, spec) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto):
        # Pickling is for passing tensors between processes (DataLoader workers, spawn,
        # multiprocessing queues): it carries the array, requires_grad and the slots of
        # subclasses such as nn.Parameter, and gives a leaf back (the graph, .grad and hooks
        # stay behind, as in torch). Checkpoints never pickle: use autograd.save().
        extra = {
            name: getattr(self, name)
            for klass in type(self).__mro__
            if klass is not Tensor
            for name in klass.__dict__.get("__slots__", ())
            if hasattr(self, name)
        }
        return _rebuild_tensor, (type(self), self._data, self._requires_grad, extra)

    def __deepcopy__(self, memo) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support "
                "the deepcopy protocol at the moment."
            )
        t = Tensor._make(self._data.copy(), self._requires_grad)
        if self._grad is not None:
            t._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = t
        return t

    # ---- conversion (``to``, ``type``, ``float`` ... are in tensor_methods.py) ----------------
    def cpu(self, memory_format=None) -> Tensor:
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None) -> Tensor:
        """Fails as in a CPU build of torch ("Torch not compiled with CUDA enabled")."""
        _devices.check_move("cuda" if device is None else device)
        return self

    def type_as(self, other) -> Tensor:
        return self.to(other.dtype)

    def contiguous(self, memory_format=None) -> Tensor:
        if memory_format is not None:
            _dt.check_memory_format(self.ndim, memory_format)
        return self if self._data.flags.c_contiguous else self.clone()

    # ---- operators (``x + y`` and the others are in tensor_methods.py) ---------------
    def __pos__(self) -> Tensor:
        return self

    # ---- transposes ----------------------------------------------------------------
    @property
    def T(self) -> Tensor:
        """The dimensions in reverse order (a view): the transpose of a matrix.

        Example:
            >>> autograd.zeros(2, 3).T.shape
            autograd.Size([3, 2])
        """
        return self.permute(tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        """The last two dimensions swapped (a view): each matrix of a batch transposed.

        Example:
            >>> autograd.zeros(4, 2, 3).mT.shape
            autograd.Size([4, 3, 2])
        """
        _check_matrices(self.ndim, "mT")
        return self.transpose(-2, -1)

    @property
    def H(self) -> Tensor:
        """The conjugate transpose of a matrix; tensors here are real, so it is ``t()``
        (a 0-D tensor is its own).

        Example:
            >>> autograd.tensor([[1.0, 2.0]]).H
            tensor([[1.],
                    [2.]])
        """
        if self.ndim == 0:
            return self
        if self.ndim != 2:
            raise RuntimeError(
                "tensor.H is only supported on matrices (2-D tensors). Got "
                f"{self.ndim}-D tensor. For batches of matrices, consider using tensor.mH"
            )
        return self.transpose(0, 1)

    @property
    def mH(self) -> Tensor:
        """Each matrix of a batch conjugate-transposed; for real tensors it is ``mT``.

        Example:
            >>> autograd.zeros(4, 2, 3).mH.shape
            autograd.Size([4, 3, 2])
        """
        _check_matrices(self.ndim, "mH")
        return self.transpose(-2, -1)


def _check_matrices(ndim: int, name: str) -> None:
    if ndim == 1:  # (a 0-D tensor is its own, as in torch, where that is deprecated)
        raise RuntimeError(
            f"tensor.{name} is only supported on matrices or batches of matrices. "
            f"Got {ndim}-D tensor."
        )


def _wrap_dim(dim, ndim, opname="op"):
    """Normalise a possibly negative dim, with PyTorch's out-of-range message."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


# ---- the leaf's end of the graph, and hook handles ---------------------------------------
class AccumulateGrad:
    """The graph's end point for a leaf tensor: adds the incoming gradient into ``.grad``."""

    __slots__ = ("variable", "__weakref__", "__dict__")
    next_edges = ()
    module_path = None
    _num_outputs = 1
    needs_input_grad = ()
    _hooks = _pre_hooks = _post_hooks = None

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "AccumulateGrad"

    @property
    def next_functions(self):
        return ()

    def _release(self):
        pass

    def register_hook(self, fn):
        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(fn)
        return RemovableHandle(self._post_hooks, fn)

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


class RemovableHandle:
    """Returned by ``register_hook``; ``handle.remove()`` takes the hook away."""

    def __init__(self, container, item):
        self._container = container
        self._item = item

    def remove(self):
        try:
            self._container.remove(self._item)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _grad_assigned_while_tracing(tracer, t: Tensor, value) -> None:
    """``t.grad = ...`` inside a function autograd.compile traces. ``t.grad = None`` (the
    set-to-none habit before backward) is recorded and done again on every replay, so the
    gradients of later calls do not add onto the old ones; assigning a tensor is not
    modelled: that call runs eagerly (the tracer's warning says so)."""
    if value is not None:
        tracer.unsupported("assigning a tensor to .grad")
        return

    def set_grad_to_none():
        t._grad = None

    set_grad_to_none.__qualname__ = "set_grad_to_none"  # (the plan's code names it so)
    tracer.call(set_grad_to_none, (), {})
