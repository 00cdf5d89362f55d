"""The Tensor: an n-dimensional array that can record how it was computed.

A Tensor wraps a NumPy array (``_data``) plus the autograd bookkeeping:

* ``requires_grad``: whether operations on it are recorded;
* ``grad_fn``: the graph node that produced it (None for leaves);
* ``grad``: for leaves, the accumulated gradient after ``backward()``;
* a version counter, shared with views, bumped by in-place operations so the engine can
  refuse to use a saved value that has since been overwritten.

Methods are thin: each calls the op of the same name in ``autograd.ops``.

Example:
    >>> import autograd
    >>> x = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 4., 6.])
"""
from __future__ import annotations

import warnings
import weakref

import numpy as np

from . import dtypes as _dt
from . import devices as _devices
from .dtypes import FLOAT_KINDS


class Size(tuple):
    """A tensor's shape: a tuple of ints (``torch.Size``)."""

    def __repr__(self):
        return f"autograd.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


# dtype names as torch's messages print them (C type / ScalarType)
_C_NAMES = {"float64": "double", "float32": "float", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}
_SCALAR_NAMES = {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long",
                 "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _rebuild_tensor(cls, arr, requires_grad, extra):
    """Unpickling (see Tensor.__reduce_ex__): a leaf of class ``cls`` owning ``arr``."""
    t = cls._make(arr, requires_grad)
    for name, value in extra.items():
        setattr(t, name, value)
    return t


def _check_float_for_grad(dtype: np.dtype):
    if dtype.kind not in FLOAT_KINDS:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


class Tensor:
    """A multi-dimensional array with automatic differentiation (see module docstring)."""

    __slots__ = ("_data", "_requires_grad", "_grad", "grad_fn", "_output_nr", "_version_cell",
                 "__weakref__", "__dict__")

    # Rarely set attributes live in the instance __dict__ only when used; these class-level
    # defaults keep creating a tensor cheap (it happens for every op).
    _accum = None            # weakref to this leaf's AccumulateGrad node
    _retains_grad = False
    _leaf_hooks = None       # hooks on a leaf's gradient
    _post_acc_hooks = None
    name = None
    # Views (see ops/indexing.py ``_view_of``): a view keeps ``_view = (base, steps,
    # made_in_no_grad)``, where ``steps`` replays the view from its base; a base keeps
    # weak references to its views in ``_views`` so an in-place write can update them.
    _view = None
    _views = None

    # ``ndarray + Tensor`` must defer to Tensor.__radd__ rather than let NumPy iterate us.
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __init__(self, data=None, *, dtype=None, requires_grad=False):
        from .factories import _to_array
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
    def _make(cls, arr, requires_grad=False):
        t = object.__new__(cls)  # (the fields of _init, set directly: this runs per op)
        t._data = arr if type(arr) is np.ndarray else np.asarray(arr)
        t._requires_grad = requires_grad
        t._grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._version_cell = [0]
        return t

    @classmethod
    def _from_node(cls, arr, node, output_nr, version_cell):
        t = object.__new__(cls)  # (the fields of _init, set directly: once per op)
        t._data = arr if type(arr) is np.ndarray else np.asarray(arr)
        t._requires_grad = True
        t._grad = None
        t.grad_fn = node
        t._output_nr = output_nr
        t._version_cell = [0] if version_cell is None else version_cell
        return t

    def _grad_accumulator(self):
        """The AccumulateGrad node of this leaf, shared by every use of the leaf (held
        weakly here: the graph owns it, so it dies with the graph)."""
        ref = self._accum
        acc = ref() if ref is not None else None
        if acc is None:
            acc = _AccumulateGrad(self)
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
                    "var_no_grad = var.detach().")
            return self
        if requires_grad:
            _check_float_for_grad(self._data.dtype)
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad and self._grad is None:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_C_NAMES[value._data.dtype.name]}' "
                    f"to a tensor with grad_dtype '{_SCALAR_NAMES[self._data.dtype.name]}'. The "
                    "gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). "
                    f"Convert it first: t.grad = g.to({self.dtype})")
            if value.shape != self.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value.shape)}' to "
                                   f"a tensor of size '{list(self.shape)}'. Please ensure that the "
                                   "gradient and the tensor are the same size")
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
        self.grad_fn._add_tensor_hook(self._output_nr, _retain)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned Tensor
        replaces the gradient. Returns a handle with ``.remove()``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .function import _RemovableHandle
        if self.grad_fn is not None:
            return self.grad_fn._add_tensor_hook(self._output_nr, hook)
        if self._leaf_hooks is None:
            self._leaf_hooks = []
        self._leaf_hooks.append(hook)
        return _RemovableHandle(self._leaf_hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after ``.grad`` of this leaf has been updated."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        from .function import _RemovableHandle
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        return _RemovableHandle(self._post_acc_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor w.r.t. graph leaves (accumulates into ``.grad``)."""
        from .engine import backward
        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)

    @property
    def _version(self) -> int:
        return self._version_cell[0]

    def _bump_version(self):
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
    def _base(self):
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
        if self._view is not None:
            self._view = None  # no longer follows its base's history
        self.grad_fn = None
        self._requires_grad = False
        return self

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying NumPy array (shares memory)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self._data.copy() if force else self._data

    def item(self):
        """The single value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
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

    def size(self, dim=None):
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
    def dtype(self):
        return _dt._FROM_NP[self._data.dtype]

    @property
    def device(self):
        """Always ``device(type='cpu')``: jitgrad computes on the CPU (see autograd.devices)."""
        return _devices.CPU

    @property
    def is_cuda(self):
        return False

    @property
    def is_cpu(self):
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

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self.ndim, "stride")]

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self) -> int:
        return self._data.ctypes.data

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(_ops.unbind(self, 0))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __hash__(self):
        return id(self)

    def __contains__(self, element):
        return bool((self._data == (element._data if isinstance(element, Tensor) else element)).any())

    def __repr__(self):
        from ._repr import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto):
        # Pickling is for passing tensors between processes (DataLoader workers, spawn,
        # multiprocessing queues): it carries the array, requires_grad and the slots of
        # subclasses such as nn.Parameter, and gives a leaf back (the graph, .grad and hooks
        # stay behind, as in torch). Checkpoints never pickle: use autograd.save().
        extra = {name: getattr(self, name) for klass in type(self).__mro__ if klass is not Tensor
                 for name in klass.__dict__.get("__slots__", ()) if hasattr(self, name)}
        return _rebuild_tensor, (type(self), self._data, self._requires_grad, extra)

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment.")
        t = Tensor._make(self._data.copy(), self._requires_grad)
        if self._grad is not None:
            t._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = t
        return t

    # ---- conversion ----------------------------------------------------------------
    def to(self, *args, **kwargs):
        """Convert the dtype and/or "move" to a device, with torch's three forms:
        ``t.to(device, dtype, non_blocking=False, copy=False)``, ``t.to(dtype)``,
        ``t.to(other_tensor)``. Returns ``self`` when nothing changes (unless ``copy=True``);
        the only device is the CPU, others fail as in a CPU build of torch.

        Example:
            >>> x = autograd.zeros(2); x.to("cpu", non_blocking=True) is x, x.to(autograd.float64).dtype
            (True, autograd.float64)
        """
        _, dtype, _, copy = _devices.parse_to(args, kwargs)
        if dtype is None or dtype.np == self._data.dtype:
            return self.clone() if copy else self
        return _ops.to_dtype(self, dtype, copy=copy)

    def type(self, dtype=None, non_blocking=False):
        """With no argument, the type name torch gives (``'torch.FloatTensor'``, the name
        scripts compare with); with a dtype, a legacy type (``autograd.LongTensor``) or its
        name (``'torch.LongTensor'``), the converted tensor."""
        if dtype is None:
            return f"torch.{_dt.torch_name(self.dtype)}Tensor"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            from . import legacy
            name = dtype.rpartition(".")[2]
            if dtype.startswith("torch.cuda."):
                _devices.check_move("cuda")
            if not hasattr(legacy, name):
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = getattr(legacy, name)
        return self.to(getattr(dtype, "dtype", dtype))

    def float(self):
        return self.to(_dt.float32)

    def double(self):
        return self.to(_dt.float64)

    def half(self):
        return self.to(_dt.float16)

    def bfloat16(self):
        return self.to(_dt.bfloat16)

    def long(self):
        return self.to(_dt.int64)

    def int(self):
        return self.to(_dt.int32)

    def bool(self):
        return self.to(_dt.bool_)

    def cpu(self, memory_format=None):
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """Fails as in a CPU build of torch ("Torch not compiled with CUDA enabled")."""
        _devices.check_move("cuda" if device is None else device)
        return self

    def type_as(self, other):
        return self.to(other.dtype)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False, pin_memory=False):
        from .factories import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device,
                      requires_grad=requires_grad, pin_memory=pin_memory)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, pin_memory=False):
        from .factories import zeros
        return zeros(*size, dtype=dtype or self.dtype, device=device,
                     requires_grad=requires_grad, pin_memory=pin_memory)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, pin_memory=False):
        from .factories import ones
        return ones(*size, dtype=dtype or self.dtype, device=device,
                    requires_grad=requires_grad, pin_memory=pin_memory)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False,
                 pin_memory=False):
        from .factories import full
        return full(size, fill_value, dtype=dtype or self.dtype, device=device,
                    requires_grad=requires_grad, pin_memory=pin_memory)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, pin_memory=False):
        from .factories import empty
        return empty(*size, dtype=dtype or self.dtype, device=device,
                     requires_grad=requires_grad, pin_memory=pin_memory)

    def clone(self, *, memory_format=None):
        return _ops.clone(self)

    def contiguous(self, memory_format=None):
        return self if self._data.flags.c_contiguous else _ops.clone(self)

    # ---- operators -----------------------------------------------------------------
    def __neg__(self): return _ops.neg(self)
    def __pos__(self): return self
    def __abs__(self): return _ops.abs(self)
    def __invert__(self): return _ops.bitwise_not(self)
    def __add__(self, other): return _ops.add(self, other)
    def __radd__(self, other): return _ops.add(other, self)
    def __sub__(self, other): return _ops.sub(self, other)
    def __rsub__(self, other): return _ops.sub(other, self)
    def __mul__(self, other): return _ops.mul(self, other)
    def __rmul__(self, other): return _ops.mul(other, self)
    def __truediv__(self, other): return _ops.div(self, other)
    def __rtruediv__(self, other): return _ops.div(other, self)
    def __floordiv__(self, other): return _ops.floor_divide(self, other)
    def __rfloordiv__(self, other): return _ops.floor_divide(other, self)
    def __mod__(self, other): return _ops.remainder(self, other)
    def __rmod__(self, other): return _ops.remainder(other, self)
    def __pow__(self, other): return _ops.pow(self, other)
    def __rpow__(self, other): return _ops.pow(other, self)
    def __matmul__(self, other): return _ops.matmul(self, other)
    def __rmatmul__(self, other): return _ops.matmul(other, self)
    def __and__(self, other): return _ops.bitwise_and(self, other)
    def __rand__(self, other): return _ops.bitwise_and(other, self)
    def __or__(self, other): return _ops.bitwise_or(self, other)
    def __ror__(self, other): return _ops.bitwise_or(other, self)
    def __xor__(self, other): return _ops.bitwise_xor(self, other)
    def __rxor__(self, other): return _ops.bitwise_xor(other, self)
    def __eq__(self, other): return _ops.eq(self, other)
    def __ne__(self, other): return _ops.ne(self, other)
    def __lt__(self, other): return _ops.lt(self, other)
    def __le__(self, other): return _ops.le(self, other)
    def __gt__(self, other): return _ops.gt(self, other)
    def __ge__(self, other): return _ops.ge(self, other)
    def __getitem__(self, index): return _ops.getitem(self, index)
    def __setitem__(self, index, value): _ops.setitem_(self, index, value)

    # in-place operators (a += b is in place, as in torch)
    def __iadd__(self, other): return self.add_(other)
    def __isub__(self, other): return self.sub_(other)
    def __imul__(self, other): return self.mul_(other)
    def __itruediv__(self, other): return self.div_(other)
    def __ipow__(self, other): return self.pow_(other)
    def __imatmul__(self, other): return _ops.inplace_(self, _ops.matmul, other)
    def __iand__(self, other): return _ops.inplace_(self, _ops.bitwise_and, other)
    def __ior__(self, other): return _ops.inplace_(self, _ops.bitwise_or, other)

    # ---- transposes ----------------------------------------------------------------
    @property
    def T(self):
        return _ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self):
        return _ops.transpose(self, -2, -1)

    @property
    def H(self):
        return self.T

    @property
    def mH(self):
        return self.mT

    # ---- op methods: each is one line that calls the op of the same name ----------
    # (ops that take only the tensor are called without *args/**kwargs: packing them
    # is a measurable part of the per-op overhead on small tensors)
    def neg(self): return _ops.neg(self)
    def negative(self, *args, **kwargs): return _ops.negative(self, *args, **kwargs)
    def abs(self): return _ops.abs(self)
    def absolute(self, *args, **kwargs): return _ops.absolute(self, *args, **kwargs)
    def sign(self, *args, **kwargs): return _ops.sign(self, *args, **kwargs)
    def sgn(self, *args, **kwargs): return _ops.sgn(self, *args, **kwargs)
    def exp(self): return _ops.exp(self)
    def exp2(self): return _ops.exp2(self)
    def log(self): return _ops.log(self)
    def log1p(self): return _ops.log1p(self)
    def expm1(self): return _ops.expm1(self)
    def log2(self): return _ops.log2(self)
    def log10(self): return _ops.log10(self)
    def sqrt(self): return _ops.sqrt(self)
    def rsqrt(self): return _ops.rsqrt(self)
    def square(self): return _ops.square(self)
    def reciprocal(self): return _ops.reciprocal(self)
    def sin(self): return _ops.sin(self)
    def cos(self): return _ops.cos(self)
    def tan(self, *args, **kwargs): return _ops.tan(self, *args, **kwargs)
    def asin(self, *args, **kwargs): return _ops.asin(self, *args, **kwargs)
    def arcsin(self, *args, **kwargs): return _ops.arcsin(self, *args, **kwargs)
    def acos(self, *args, **kwargs): return _ops.acos(self, *args, **kwargs)
    def arccos(self, *args, **kwargs): return _ops.arccos(self, *args, **kwargs)
    def atan(self, *args, **kwargs): return _ops.atan(self, *args, **kwargs)
    def arctan(self, *args, **kwargs): return _ops.arctan(self, *args, **kwargs)
    def sinh(self, *args, **kwargs): return _ops.sinh(self, *args, **kwargs)
    def cosh(self, *args, **kwargs): return _ops.cosh(self, *args, **kwargs)
    def tanh(self): return _ops.tanh(self)
    def asinh(self, *args, **kwargs): return _ops.asinh(self, *args, **kwargs)
    def acosh(self, *args, **kwargs): return _ops.acosh(self, *args, **kwargs)
    def atanh(self, *args, **kwargs): return _ops.atanh(self, *args, **kwargs)
    def sigmoid(self): return _ops.sigmoid(self)
    def relu(self): return _ops.relu(self)
    def erf(self, *args, **kwargs): return _ops.erf(self, *args, **kwargs)
    def erfc(self, *args, **kwargs): return _ops.erfc(self, *args, **kwargs)
    def erfinv(self, *args, **kwargs): return _ops.erfinv(self, *args, **kwargs)
    def lgamma(self): return _ops.lgamma(self)
    def digamma(self): return _ops.digamma(self)
    def polygamma(self, n): return _ops.polygamma(n, self)
    def floor(self, *args, **kwargs): return _ops.floor(self, *args, **kwargs)
    def ceil(self, *args, **kwargs): return _ops.ceil(self, *args, **kwargs)
    def trunc(self, *args, **kwargs): return _ops.trunc(self, *args, **kwargs)
    def frac(self, *args, **kwargs): return _ops.frac(self, *args, **kwargs)
    def fix(self, *args, **kwargs): return _ops.fix(self, *args, **kwargs)
    def isnan(self, *args, **kwargs): return _ops.isnan(self, *args, **kwargs)
    def isinf(self, *args, **kwargs): return _ops.isinf(self, *args, **kwargs)
    def isfinite(self, *args, **kwargs): return _ops.isfinite(self, *args, **kwargs)
    def isposinf(self, *args, **kwargs): return _ops.isposinf(self, *args, **kwargs)
    def isneginf(self, *args, **kwargs): return _ops.isneginf(self, *args, **kwargs)
    def nan_to_num(self, *args, **kwargs): return _ops.nan_to_num(self, *args, **kwargs)
    def logical_not(self, *args, **kwargs): return _ops.logical_not(self, *args, **kwargs)
    def bitwise_not(self, *args, **kwargs): return _ops.bitwise_not(self, *args, **kwargs)
    def signbit(self, *args, **kwargs): return _ops.signbit(self, *args, **kwargs)
    def round(self, *args, **kwargs): return _ops.round(self, *args, **kwargs)
    def logit(self, *args, **kwargs): return _ops.logit(self, *args, **kwargs)
    def add(self, *args, **kwargs): return _ops.add(self, *args, **kwargs)
    def sub(self, *args, **kwargs): return _ops.sub(self, *args, **kwargs)
    def subtract(self, *args, **kwargs): return _ops.subtract(self, *args, **kwargs)
    def mul(self, *args, **kwargs): return _ops.mul(self, *args, **kwargs)
    def multiply(self, *args, **kwargs): return _ops.multiply(self, *args, **kwargs)
    def div(self, *args, **kwargs): return _ops.div(self, *args, **kwargs)
    def divide(self, *args, **kwargs): return _ops.divide(self, *args, **kwargs)
    def true_divide(self, *args, **kwargs): return _ops.true_divide(self, *args, **kwargs)
    def floor_divide(self, *args, **kwargs): return _ops.floor_divide(self, *args, **kwargs)
    def pow(self, *args, **kwargs): return _ops.pow(self, *args, **kwargs)
    def float_power(self, *args, **kwargs): return _ops.float_power(self, *args, **kwargs)
    def atan2(self, *args, **kwargs): return _ops.atan2(self, *args, **kwargs)
    def arctan2(self, *args, **kwargs): return _ops.arctan2(self, *args, **kwargs)
    def maximum(self, *args, **kwargs): return _ops.maximum(self, *args, **kwargs)
    def minimum(self, *args, **kwargs): return _ops.minimum(self, *args, **kwargs)
    def fmax(self, *args, **kwargs): return _ops.fmax(self, *args, **kwargs)
    def fmin(self, *args, **kwargs): return _ops.fmin(self, *args, **kwargs)
    def remainder(self, *args, **kwargs): return _ops.remainder(self, *args, **kwargs)
    def fmod(self, *args, **kwargs): return _ops.fmod(self, *args, **kwargs)
    def lerp(self, *args, **kwargs): return _ops.lerp(self, *args, **kwargs)
    def hypot(self, *args, **kwargs): return _ops.hypot(self, *args, **kwargs)
    def eq(self, *args, **kwargs): return _ops.eq(self, *args, **kwargs)
    def ne(self, *args, **kwargs): return _ops.ne(self, *args, **kwargs)
    def lt(self, *args, **kwargs): return _ops.lt(self, *args, **kwargs)
    def le(self, *args, **kwargs): return _ops.le(self, *args, **kwargs)
    def gt(self, *args, **kwargs): return _ops.gt(self, *args, **kwargs)
    def ge(self, *args, **kwargs): return _ops.ge(self, *args, **kwargs)
    def greater(self, *args, **kwargs): return _ops.greater(self, *args, **kwargs)
    def greater_equal(self, *args, **kwargs): return _ops.greater_equal(self, *args, **kwargs)
    def less(self, *args, **kwargs): return _ops.less(self, *args, **kwargs)
    def less_equal(self, *args, **kwargs): return _ops.less_equal(self, *args, **kwargs)
    def not_equal(self, *args, **kwargs): return _ops.not_equal(self, *args, **kwargs)
    def logical_and(self, *args, **kwargs): return _ops.logical_and(self, *args, **kwargs)
    def logical_or(self, *args, **kwargs): return _ops.logical_or(self, *args, **kwargs)
    def logical_xor(self, *args, **kwargs): return _ops.logical_xor(self, *args, **kwargs)
    def bitwise_and(self, *args, **kwargs): return _ops.bitwise_and(self, *args, **kwargs)
    def bitwise_or(self, *args, **kwargs): return _ops.bitwise_or(self, *args, **kwargs)
    def bitwise_xor(self, *args, **kwargs): return _ops.bitwise_xor(self, *args, **kwargs)
    def clamp(self, *args, **kwargs): return _ops.clamp(self, *args, **kwargs)
    def clip(self, *args, **kwargs): return _ops.clip(self, *args, **kwargs)
    def clamp_min(self, *args, **kwargs): return _ops.clamp_min(self, *args, **kwargs)
    def clamp_max(self, *args, **kwargs): return _ops.clamp_max(self, *args, **kwargs)
    def masked_fill(self, *args, **kwargs): return _ops.masked_fill(self, *args, **kwargs)
    def xlogy(self, *args, **kwargs): return _ops.xlogy(self, *args, **kwargs)
    def copysign(self, *args, **kwargs): return _ops.copysign(self, *args, **kwargs)
    def sum(self, *args, **kwargs): return _ops.sum(self, *args, **kwargs)
    def mean(self, *args, **kwargs): return _ops.mean(self, *args, **kwargs)
    def prod(self, *args, **kwargs): return _ops.prod(self, *args, **kwargs)
    def var(self, *args, **kwargs): return _ops.var(self, *args, **kwargs)
    def std(self, *args, **kwargs): return _ops.std(self, *args, **kwargs)
    def max(self, *args, **kwargs): return _ops.max(self, *args, **kwargs)
    def min(self, *args, **kwargs): return _ops.min(self, *args, **kwargs)
    def amax(self, *args, **kwargs): return _ops.amax(self, *args, **kwargs)
    def amin(self, *args, **kwargs): return _ops.amin(self, *args, **kwargs)
    def argmax(self, *args, **kwargs): return _ops.argmax(self, *args, **kwargs)
    def argmin(self, *args, **kwargs): return _ops.argmin(self, *args, **kwargs)
    def logsumexp(self, *args, **kwargs): return _ops.logsumexp(self, *args, **kwargs)
    def cumsum(self, *args, **kwargs): return _ops.cumsum(self, *args, **kwargs)
    def cumprod(self, *args, **kwargs): return _ops.cumprod(self, *args, **kwargs)
    def cummax(self, *args, **kwargs): return _ops.cummax(self, *args, **kwargs)
    def cummin(self, *args, **kwargs): return _ops.cummin(self, *args, **kwargs)
    def norm(self, *args, **kwargs): return _ops.norm(self, *args, **kwargs)
    def all(self, *args, **kwargs): return _ops.all(self, *args, **kwargs)
    def any(self, *args, **kwargs): return _ops.any(self, *args, **kwargs)
    def count_nonzero(self, *args, **kwargs): return _ops.count_nonzero(self, *args, **kwargs)
    def sort(self, *args, **kwargs): return _ops.sort(self, *args, **kwargs)
    def argsort(self, *args, **kwargs): return _ops.argsort(self, *args, **kwargs)
    def topk(self, *args, **kwargs): return _ops.topk(self, *args, **kwargs)
    def median(self, *args, **kwargs): return _ops.median(self, *args, **kwargs)
    def nansum(self, *args, **kwargs): return _ops.nansum(self, *args, **kwargs)
    def nanmean(self, *args, **kwargs): return _ops.nanmean(self, *args, **kwargs)
    def aminmax(self, *args, **kwargs): return _ops.aminmax(self, *args, **kwargs)
    def std_mean(self, *args, **kwargs): return _ops.std_mean(self, *args, **kwargs)
    def var_mean(self, *args, **kwargs): return _ops.var_mean(self, *args, **kwargs)
    def softmax(self, *args, **kwargs): return _ops.softmax(self, *args, **kwargs)
    def log_softmax(self, *args, **kwargs): return _ops.log_softmax(self, *args, **kwargs)
    def diff(self, *args, **kwargs): return _ops.diff(self, *args, **kwargs)
    def flatten(self, *args, **kwargs): return _ops.flatten(self, *args, **kwargs)
    def unflatten(self, *args, **kwargs): return _ops.unflatten(self, *args, **kwargs)
    def squeeze(self, *args, **kwargs): return _ops.squeeze(self, *args, **kwargs)
    def unsqueeze(self, *args, **kwargs): return _ops.unsqueeze(self, *args, **kwargs)
    def transpose(self, *args, **kwargs): return _ops.transpose(self, *args, **kwargs)
    def swapaxes(self, *args, **kwargs): return _ops.swapaxes(self, *args, **kwargs)
    def swapdims(self, *args, **kwargs): return _ops.swapdims(self, *args, **kwargs)
    def movedim(self, *args, **kwargs): return _ops.movedim(self, *args, **kwargs)
    def moveaxis(self, *args, **kwargs): return _ops.moveaxis(self, *args, **kwargs)
    def expand_as(self, *args, **kwargs): return _ops.expand_as(self, *args, **kwargs)
    def broadcast_to(self, *args, **kwargs): return _ops.broadcast_to(self, *args, **kwargs)
    def fliplr(self, *args, **kwargs): return _ops.fliplr(self, *args, **kwargs)
    def flipud(self, *args, **kwargs): return _ops.flipud(self, *args, **kwargs)
    def roll(self, *args, **kwargs): return _ops.roll(self, *args, **kwargs)
    def tril(self, *args, **kwargs): return _ops.tril(self, *args, **kwargs)
    def triu(self, *args, **kwargs): return _ops.triu(self, *args, **kwargs)
    def split(self, *args, **kwargs): return _ops.split(self, *args, **kwargs)
    def chunk(self, *args, **kwargs): return _ops.chunk(self, *args, **kwargs)
    def unbind(self, *args, **kwargs): return _ops.unbind(self, *args, **kwargs)
    def narrow(self, *args, **kwargs): return _ops.narrow(self, *args, **kwargs)
    def select(self, *args, **kwargs): return _ops.select(self, *args, **kwargs)
    def diagonal(self, *args, **kwargs): return _ops.diagonal(self, *args, **kwargs)
    def diag(self, *args, **kwargs): return _ops.diag(self, *args, **kwargs)
    def index_select(self, *args, **kwargs): return _ops.index_select(self, *args, **kwargs)
    def gather(self, *args, **kwargs): return _ops.gather(self, *args, **kwargs)
    def scatter(self, *args, **kwargs): return _ops.scatter(self, *args, **kwargs)
    def scatter_add(self, *args, **kwargs): return _ops.scatter_add(self, *args, **kwargs)
    def scatter_reduce(self, *args, **kwargs): return _ops.scatter_reduce(self, *args, **kwargs)
    def masked_select(self, *args, **kwargs): return _ops.masked_select(self, *args, **kwargs)
    def take_along_dim(self, *args, **kwargs): return _ops.take_along_dim(self, *args, **kwargs)
    def take(self, *args, **kwargs): return _ops.take(self, *args, **kwargs)
    def index_add(self, *args, **kwargs): return _ops.index_add(self, *args, **kwargs)
    def index_fill(self, *args, **kwargs): return _ops.index_fill(self, *args, **kwargs)
    def index_copy(self, *args, **kwargs): return _ops.index_copy(self, *args, **kwargs)
    def nonzero(self, *args, **kwargs): return _ops.nonzero(self, *args, **kwargs)
    def put(self, *args, **kwargs): return _ops.put(self, *args, **kwargs)
    def index_put(self, *args, **kwargs): return _ops.index_put(self, *args, **kwargs)
    def tensor_split(self, *args, **kwargs): return _ops.tensor_split(self, *args, **kwargs)
    def argwhere(self): return _ops.argwhere(self)
    def matmul(self, *args, **kwargs): return _ops.matmul(self, *args, **kwargs)
    def mm(self, *args, **kwargs): return _ops.mm(self, *args, **kwargs)
    def bmm(self, *args, **kwargs): return _ops.bmm(self, *args, **kwargs)
    def dot(self, *args, **kwargs): return _ops.dot(self, *args, **kwargs)
    def outer(self, *args, **kwargs): return _ops.outer(self, *args, **kwargs)
    def mv(self, *args, **kwargs): return _ops.mv(self, *args, **kwargs)
    def inner(self, *args, **kwargs): return _ops.inner(self, *args, **kwargs)
    def cholesky(self, upper=False): return _ops.cholesky(self, upper)
    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False): return _ops.triangular_solve(self, A, upper, transpose, unitriangular)
    def allclose(self, *args, **kwargs): return _ops.allclose(self, *args, **kwargs)
    def isclose(self, *args, **kwargs): return _ops.isclose(self, *args, **kwargs)
    def equal(self, *args, **kwargs): return _ops.equal(self, *args, **kwargs)

    # methods that take sizes/dims as varargs: x.reshape(2, 3) or x.reshape((2, 3))
    def reshape(self, *shape): return _ops.reshape(self, _ops.sizes_arg(shape))
    def view(self, *shape): return _ops.view(self, _ops.sizes_arg(shape))
    def expand(self, *shape): return _ops.expand(self, _ops.sizes_arg(shape))
    def repeat(self, *shape): return _ops.repeat(self, _ops.sizes_arg(shape))
    def tile(self, *shape): return _ops.tile(self, _ops.sizes_arg(shape))
    def permute(self, *shape): return _ops.permute(self, _ops.sizes_arg(shape))
    def sum_to_size(self, *size): return _ops.sum_to_size(self, *size)
    def view_as(self, other): return _ops.reshape(self, other.shape)
    def reshape_as(self, other): return _ops.reshape(self, other.shape)
    def flip(self, *dims, **kw): return _ops.flip(self, kw['dims'] if 'dims' in kw else _ops.sizes_arg(dims))
    def t(self): return _ops.t(self)
    def where(self, condition, other): return _ops.where(condition, self, other)
    def type_promote(self, other): return _ops.result_type(self, other)
    def apply_(self, fn): raise NotImplementedError('apply_ is not supported; use numpy on t.detach().numpy()')

    # ---- in-place methods: out-of-place op, then written back into this tensor's memory
    def add_(self, *args, **kwargs): return _ops.inplace_(self, _ops.add, *args, **kwargs)
    def sub_(self, *args, **kwargs): return _ops.inplace_(self, _ops.sub, *args, **kwargs)
    def mul_(self, *args, **kwargs): return _ops.inplace_(self, _ops.mul, *args, **kwargs)
    def div_(self, *args, **kwargs): return _ops.inplace_(self, _ops.div, *args, **kwargs)
    def pow_(self, *args, **kwargs): return _ops.inplace_(self, _ops.pow, *args, **kwargs)
    def clamp_(self, *args, **kwargs): return _ops.inplace_(self, _ops.clamp, *args, **kwargs)
    def clip_(self, *args, **kwargs): return _ops.inplace_(self, _ops.clip, *args, **kwargs)
    def clamp_min_(self, *args, **kwargs): return _ops.inplace_(self, _ops.clamp_min, *args, **kwargs)
    def clamp_max_(self, *args, **kwargs): return _ops.inplace_(self, _ops.clamp_max, *args, **kwargs)
    def neg_(self, *args, **kwargs): return _ops.inplace_(self, _ops.neg, *args, **kwargs)
    def exp_(self, *args, **kwargs): return _ops.inplace_(self, _ops.exp, *args, **kwargs)
    def log_(self, *args, **kwargs): return _ops.inplace_(self, _ops.log, *args, **kwargs)
    def sqrt_(self, *args, **kwargs): return _ops.inplace_(self, _ops.sqrt, *args, **kwargs)
    def abs_(self, *args, **kwargs): return _ops.inplace_(self, _ops.abs, *args, **kwargs)
    def sigmoid_(self, *args, **kwargs): return _ops.inplace_(self, _ops.sigmoid, *args, **kwargs)
    def tanh_(self, *args, **kwargs): return _ops.inplace_(self, _ops.tanh, *args, **kwargs)
    def relu_(self, *args, **kwargs): return _ops.inplace_(self, _ops.relu, *args, **kwargs)
    def floor_(self, *args, **kwargs): return _ops.inplace_(self, _ops.floor, *args, **kwargs)
    def ceil_(self, *args, **kwargs): return _ops.inplace_(self, _ops.ceil, *args, **kwargs)
    def round_(self, *args, **kwargs): return _ops.inplace_(self, _ops.round, *args, **kwargs)
    def trunc_(self, *args, **kwargs): return _ops.inplace_(self, _ops.trunc, *args, **kwargs)
    def masked_fill_(self, *args, **kwargs): return _ops.inplace_(self, _ops.masked_fill, *args, **kwargs)
    def scatter_(self, *args, **kwargs): return _ops.inplace_(self, _ops.scatter, *args, **kwargs)
    def scatter_add_(self, *args, **kwargs): return _ops.inplace_(self, _ops.scatter_add, *args, **kwargs)
    def index_add_(self, *args, **kwargs): return _ops.inplace_(self, _ops.index_add, *args, **kwargs)
    def index_fill_(self, *args, **kwargs): return _ops.inplace_(self, _ops.index_fill, *args, **kwargs)
    def index_copy_(self, *args, **kwargs): return _ops.inplace_(self, _ops.index_copy, *args, **kwargs)
    def index_put_(self, *args, **kwargs): return _ops.inplace_(self, _ops.index_put, *args, **kwargs)
    def put_(self, *args, **kwargs): return _ops.inplace_(self, _ops.put, *args, **kwargs)
    def scatter_reduce_(self, *args, **kwargs): return _ops.inplace_(self, _ops.scatter_reduce, *args, **kwargs)
    def lerp_(self, *args, **kwargs): return _ops.inplace_(self, _ops.lerp, *args, **kwargs)
    def reciprocal_(self, *args, **kwargs): return _ops.inplace_(self, _ops.reciprocal, *args, **kwargs)
    def sign_(self, *args, **kwargs): return _ops.inplace_(self, _ops.sign, *args, **kwargs)
    def sin_(self, *args, **kwargs): return _ops.inplace_(self, _ops.sin, *args, **kwargs)
    def cos_(self, *args, **kwargs): return _ops.inplace_(self, _ops.cos, *args, **kwargs)
    def fmod_(self, *args, **kwargs): return _ops.inplace_(self, _ops.fmod, *args, **kwargs)
    def remainder_(self, *args, **kwargs): return _ops.inplace_(self, _ops.remainder, *args, **kwargs)
    def square_(self, *args, **kwargs): return _ops.inplace_(self, _ops.square, *args, **kwargs)
    def zero_(self): return _ops.fill_(self, 0)
    def fill_(self, value): return _ops.fill_(self, value)
    def copy_(self, src, non_blocking=False): return _ops.copy_(self, src)
    def uniform_(self, from_=0.0, to=1.0, *, generator=None): return _ops.uniform_(self, from_, to, generator=generator)
    def normal_(self, mean=0.0, std=1.0, *, generator=None): return _ops.normal_(self, mean, std, generator=generator)
    def bernoulli_(self, p=0.5, *, generator=None): return _ops.bernoulli_(self, p, generator=generator)
    def exponential_(self, lambd=1.0, *, generator=None): return _ops.exponential_(self, lambd, generator=generator)
    def geometric_(self, p, *, generator=None): return _ops.geometric_(self, p, generator=generator)
    def random_(self, from_=None, to=None, *, generator=None): return _ops.random_(self, from_, to, generator=generator)
    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None): return _ops.cauchy_(self, median, sigma, generator=generator)
    def log_normal_(self, mean=1.0, std=2.0, *, generator=None): return _ops.log_normal_(self, mean, std, generator=generator)
    def addcmul_(self, t1, t2, value=1): return _ops.inplace_(self, _ops.addcmul, t1, t2, value=value)
    def addcdiv_(self, t1, t2, value=1): return _ops.inplace_(self, _ops.addcdiv, t1, t2, value=value)
    def addcmul(self, t1, t2, value=1): return _ops.addcmul(self, t1, t2, value=value)
    def addcdiv(self, t1, t2, value=1): return _ops.addcdiv(self, t1, t2, value=value)
    def bernoulli(self, p=None, *, generator=None): return _ops.bernoulli(self, p, generator=generator)
    def multinomial(self, num_samples, replacement=False, *, generator=None): return _ops.multinomial(self, num_samples, replacement, generator=generator)
    def unsqueeze_(self, dim): return _ops.reshape_inplace_(self, _ops.unsqueeze(self.detach(), dim).shape)
    def squeeze_(self, dim=None): return _ops.reshape_inplace_(self, _ops.squeeze(self.detach(), dim).shape)



def _wrap_dim(dim, ndim, opname="op"):
    """Normalise a possibly negative dim, with PyTorch's out-of-range message."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


from .function import AccumulateGrad as _AccumulateGrad  # noqa: E402
from . import function as _function  # noqa: E402
_function._Tensor = Tensor  # Op.apply creates tensors (function.py cannot import this module)
from . import ops as _ops  # noqa: E402  (ops need the Tensor class defined first)
