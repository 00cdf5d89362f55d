"""Checkpoints: ``autograd.save`` / ``autograd.load`` (safetensors + JSON, never pickle).

A checkpoint is one standard `safetensors <https://huggingface.co/docs/safetensors>`_ file:

    8 bytes   little-endian u64 N: length of the JSON header
    N bytes   JSON header: {"__metadata__": {...}, "t0": {"dtype": "F32", "shape": [2, 3],
                            "data_offsets": [0, 24]}, ...}  (padded with spaces to 8 bytes)
    ...       the raw little-endian array bytes, back to back

The object tree that was saved (nested dicts/lists/tuples of tensors, numbers, strings,
bools and None, e.g. ``{'model': sd, 'optim': opt_sd, 'epoch': 3}``) is stored as JSON in the
header metadata (``__metadata__["jitgrad.structure"]``), with each tensor replaced by a
reference to its array. Nothing is ever unpickled, so loading an untrusted file cannot run
code. Files written by other safetensors tools load as a plain ``{name: tensor}`` dict.

Writes are atomic: the bytes go to a temporary file in the same directory, which is fsynced
and then renamed over the target, so an interrupted save leaves the previous file intact.
Loads validate the whole file (sizes, header, every array's dtype/shape/offsets, every
reference) before building anything and raise ``CheckpointError`` with the reason.

Example:
    >>> import autograd, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
    >>> autograd.save({"w": autograd.ones(2), "epoch": 3}, path)
    >>> autograd.load(path)
    {'w': tensor([1., 1.]), 'epoch': 3}
"""
from __future__ import annotations

import json
import math
import os
import struct
import tempfile
from collections import OrderedDict

import numpy as np

from .errors import CheckpointError

__all__ = ["save", "load"]

_FORMAT = "jitgrad"
_FORMAT_VERSION = "1"
_MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit on the JSON header

# safetensors dtype codes <-> NumPy dtypes (little-endian)
_CODES = {"BOOL": np.dtype(np.bool_), "U8": np.dtype("<u1"), "I8": np.dtype("<i1"),
          "I16": np.dtype("<i2"), "I32": np.dtype("<i4"), "I64": np.dtype("<i8"),
          "F16": np.dtype("<f2"), "F32": np.dtype("<f4"), "F64": np.dtype("<f8")}
_CODE_OF = {dt.newbyteorder("=") if dt.byteorder != "|" else dt: code for code, dt in _CODES.items()}


# Tensor subclasses that come back as themselves (``cls(tensor, requires_grad)``). autograd
# does not import nn, so nn registers ``Parameter`` here when it is imported.
_SUBCLASSES: dict = {}


def register_tensor_subclass(kind: str, cls) -> None:
    """Let checkpoints restore tensors of type ``cls`` (built as ``cls(tensor, requires_grad)``)."""
    _SUBCLASSES[kind] = cls


def _code_of(arr: np.ndarray) -> str:
    dt = arr.dtype.newbyteorder("=") if arr.dtype.byteorder not in ("|", "=") else arr.dtype
    code = _CODE_OF.get(dt)
    if code is None:
        raise TypeError(f"autograd.save: arrays of dtype {arr.dtype} cannot be stored")
    return code


# ---- encoding the object tree ---------------------------------------------------------------
class _Encoder:
    """Turns the object tree into JSON-able data plus a list of named arrays."""

    def __init__(self):
        self.arrays = []        # (name, ndarray)
        self.by_id = {}         # id(tensor) -> name, so a shared tensor is stored once
        self._keep = []         # keep encoded objects alive so ids stay unique

    def _add_array(self, obj, arr):
        name = self.by_id.get(id(obj))
        if name is None:
            name = f"t{len(self.arrays)}"
            self.by_id[id(obj)] = name
            self._keep.append(obj)
            self.arrays.append((name, np.asarray(arr, order="C")))  # keeps 0-d (ascontiguousarray would not)
        return name

    def encode(self, obj, where="obj"):
        from .tensor import Tensor
        from .dtypes import dtype as _dtype
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"__float__": repr(obj)}
        if isinstance(obj, np.generic):
            return self.encode(obj.item(), where)
        if isinstance(obj, Tensor):
            node = {"__tensor__": self._add_array(obj, obj._data), "requires_grad": obj._requires_grad}
            kind = next((k for k, cls in _SUBCLASSES.items() if type(obj) is cls), None)
            if kind is not None:
                node["kind"] = kind
            return node
        if isinstance(obj, np.ndarray):
            if obj.dtype == object:
                raise TypeError(f"autograd.save: object arrays cannot be stored (at {where})")
            return {"__ndarray__": self._add_array(obj, obj)}
        if isinstance(obj, _dtype):
            return {"__dtype__": obj.name}
        if isinstance(obj, (dict, OrderedDict)):
            items = []
            for k, v in obj.items():
                if not (k is None or isinstance(k, (str, int, float, bool, tuple))):
                    raise TypeError(f"autograd.save: dict keys must be str/int/float/bool/None/tuple, "
                                    f"got {type(k).__name__} at {where}")
                items.append([self.encode(k, where), self.encode(v, f"{where}[{k!r}]")])
            return {"__dict__": items, "ordered": isinstance(obj, OrderedDict)}
        if isinstance(obj, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"__tuple__": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        raise TypeError(f"autograd.save: cannot store an object of type {type(obj).__name__} at "
                        f"{where}. Checkpoints hold tensors, arrays, numbers, strings, bools, None and "
                        "dicts/lists/tuples of them (never pickle); convert it to one of those first.")


def _to_bytes(obj) -> bytes:
    enc = _Encoder()
    structure = enc.encode(obj)
    header = {"__metadata__": {"format": _FORMAT, "jitgrad.version": _FORMAT_VERSION,
                               "jitgrad.structure": json.dumps(structure, allow_nan=False)}}
    offset = 0
    chunks = []
    for name, arr in enc.arrays:
        data = arr.astype(_CODES[_code_of(arr)], copy=False).tobytes()
        header[name] = {"dtype": _code_of(arr), "shape": [int(s) for s in arr.shape],
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        chunks.append(data)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-(8 + len(head)) % 8)  # align the data to 8 bytes, as safetensors does
    return struct.pack("<Q", len(head)) + head + b"".join(chunks)


def save(obj, f) -> None:
    """Save tensors / a state dict / nested containers to ``f`` (a path or binary file).

    Writing to a path is atomic (temporary file + fsync + rename). Nothing is pickled.

    Example:
        >>> import nn
        >>> model = nn.Linear(2, 1)
        >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
        >>> autograd.save({"model": model.state_dict(), "epoch": 3}, path)
    """
    payload = _to_bytes(obj)  # fails before touching the file if obj has unsupported parts
    if hasattr(f, "write") and not isinstance(f, (str, bytes, os.PathLike)):
        f.write(payload)
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable (best effort: not every platform allows this)
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


# ---- decoding and validation -------------------------------------------------------------------
def _fail(src, why):
    raise CheckpointError(f"cannot load checkpoint {src}: {why}")


def _parse(raw: bytes, src: str):
    """Validate the file layout and return (metadata, {name: ndarray})."""
    if len(raw) == 0:
        _fail(src, "the file is empty (0 bytes); it was probably never written completely")
    # pickle protocol >= 2 starts with 0x80, torch.save's zip with PK; a safetensors file can
    # also start with 0x80 (a header length of 128 + 256k bytes), but its JSON header follows
    if (raw[:1] == b"\x80" or raw[:4] == b"PK\x03\x04") and raw[8:9] != b"{":
        _fail(src, "it looks like a pickle / torch.save file. autograd.load never unpickles "
              "(unpickling can run arbitrary code); re-save it as safetensors, e.g. with "
              "safetensors.torch.save_file(state_dict, path) in PyTorch")
    if len(raw) < 8:
        _fail(src, f"the file is truncated ({len(raw)} bytes, shorter than the 8-byte header size)")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > _MAX_HEADER:
        _fail(src, f"not a safetensors file (header length field {n} is implausible)")
    if 8 + n > len(raw):
        _fail(src, f"the file is truncated (header says {n} bytes of JSON but only {len(raw) - 8} "
              "bytes follow)")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        _fail(src, "not a safetensors file (the header is not valid JSON)")
    if not isinstance(header, dict):
        _fail(src, "not a safetensors file (the header is not a JSON object)")
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        _fail(src, "malformed safetensors metadata (must map strings to strings)")
    buf = memoryview(raw)[8 + n:]
    arrays = {}
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) < {"dtype", "shape", "data_offsets"}:
            _fail(src, f"malformed entry for tensor {name!r}")
        code, shape, offs = info["dtype"], info["shape"], info["data_offsets"]
        if code not in _CODES:
            _fail(src, f"tensor {name!r} has unsupported dtype {code!r}")
        if (not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool)
                                                   and s >= 0 for s in shape)):
            _fail(src, f"tensor {name!r} has an invalid shape {shape!r}")
        if (not isinstance(offs, list) or len(offs) != 2
                or not all(isinstance(o, int) and not isinstance(o, bool) for o in offs)):
            _fail(src, f"tensor {name!r} has invalid data offsets {offs!r}")
        begin, end = offs
        dt = _CODES[code]
        expected = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
        if not 0 <= begin <= end or end - begin != expected:
            _fail(src, f"tensor {name!r}: data offsets {offs} do not match dtype {code} and shape "
                  f"{shape} ({expected} bytes)")
        if end > len(buf):
            _fail(src, f"the file is truncated (tensor {name!r} needs bytes up to {end} of the data "
                  f"section, which has only {len(buf)})")
        spans.append((begin, end))
        arrays[name] = (dt, shape, begin, end)
    # safetensors requires the arrays to tile the data section exactly
    pos = 0
    for begin, end in sorted(spans):
        if begin != pos:
            _fail(src, "corrupt data layout (arrays overlap or leave gaps)")
        pos = end
    if pos != len(buf):
        _fail(src, f"corrupt file: {len(buf) - pos} unexpected trailing bytes after the arrays")
    out = {}
    for name, (dt, shape, begin, end) in arrays.items():
        arr = np.frombuffer(buf[begin:end], dtype=dt).reshape(shape)
        out[name] = arr.astype(dt.newbyteorder("="), copy=True)  # own, writable, native order
    return meta, out


class _Decoder:
    def __init__(self, arrays, src):
        self.arrays = arrays
        self.src = src
        self.used = {}  # name -> Tensor, so shared tensors come back shared

    def check(self, node):
        """Validate the whole structure (all references exist) before building anything."""
        if node is None or isinstance(node, (bool, int, float, str)):
            return
        if isinstance(node, list):
            for v in node:
                self.check(v)
            return
        if not isinstance(node, dict) or len(node) == 0:
            _fail(self.src, "malformed structure metadata")
        if "__tensor__" in node or "__ndarray__" in node:
            ref = node.get("__tensor__", node.get("__ndarray__"))
            if ref not in self.arrays:
                _fail(self.src, f"the structure refers to a missing tensor {ref!r}")
        elif "__dict__" in node:
            items = node["__dict__"]
            if not isinstance(items, list) or not all(isinstance(kv, list) and len(kv) == 2
                                                      for kv in items):
                _fail(self.src, "malformed dict in structure metadata")
            for k, v in items:
                self.check(k)
                self.check(v)
        elif "__tuple__" in node:
            self.check(node["__tuple__"])
        elif "__float__" in node:
            if node["__float__"] not in ("nan", "inf", "-inf"):
                _fail(self.src, "malformed float in structure metadata")
        elif "__dtype__" in node:
            from . import dtypes
            if node["__dtype__"] not in dtypes._NAMES:
                _fail(self.src, f"unknown dtype {node['__dtype__']!r} in structure metadata")
        else:
            _fail(self.src, f"unknown entry {sorted(node)!r} in structure metadata")

    def build(self, node):
        from .tensor import Tensor
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.build(v) for v in node]
        if "__tensor__" in node:
            name = node["__tensor__"]
            if name in self.used:
                return self.used[name]
            arr = self.arrays[name]
            requires_grad = bool(node.get("requires_grad")) and arr.dtype.kind == "f"
            cls = _SUBCLASSES.get(node.get("kind"))
            if cls is not None:
                t = cls(Tensor._make(arr), requires_grad)
            else:
                t = Tensor._make(arr, requires_grad)
            self.used[name] = t
            return t
        if "__ndarray__" in node:
            return self.arrays[node["__ndarray__"]]
        if "__dict__" in node:
            cls = OrderedDict if node.get("ordered") else dict
            return cls((_hashable(self.build(k)), self.build(v)) for k, v in node["__dict__"])
        if "__tuple__" in node:
            return tuple(self.build(v) for v in node["__tuple__"])
        if "__float__" in node:
            return float(node["__float__"])
        if "__dtype__" in node:
            from . import dtypes
            return dtypes._NAMES[node["__dtype__"]]
        raise AssertionError("unreachable: check() validated the structure")  # pragma: no cover


def _hashable(k):
    return tuple(_hashable(x) for x in k) if isinstance(k, (list, tuple)) else k


def load(f, map_location=None, *, weights_only: bool = True, mmap=None, **kwargs):
    """Load what ``autograd.save`` stored (or any safetensors file) from a path or binary file.

    The whole file is validated first; any problem (empty, truncated, garbage, a pickle or
    torch.save file, inconsistent sizes) raises ``CheckpointError``. ``map_location`` is
    accepted for torch compatibility (everything is on the CPU); ``weights_only=False`` is
    refused because there is no pickle fallback.

    Example:
        >>> path = os.path.join(tempfile.mkdtemp(), "t.safetensors")
        >>> autograd.save([autograd.tensor([1, 2]), None, "x"], path)
        >>> autograd.load(path)
        [tensor([1, 2]), None, 'x']
    """
    if weights_only is False:
        raise CheckpointError("autograd.load(weights_only=False) is not supported: checkpoints are "
                              "never unpickled")
    if map_location not in (None, "cpu") and str(map_location) != "cpu":
        raise RuntimeError(f"autograd runs on the CPU only; cannot load to {map_location!r}")
    if hasattr(f, "read") and not isinstance(f, (str, bytes, os.PathLike)):
        raw = f.read()
        src = repr(getattr(f, "name", "<file object>"))
    else:
        path = os.fspath(f)
        src = repr(path)
        if os.path.isdir(path):
            raise IsADirectoryError(f"cannot load checkpoint {src}: it is a directory")
        with open(path, "rb") as fh:
            raw = fh.read()
    if isinstance(raw, str):
        raise CheckpointError(f"cannot load checkpoint {src}: the file was opened in text mode; "
                              "open it with 'rb'")
    meta, arrays = _parse(bytes(raw), src)
    if meta.get("format") != _FORMAT or "jitgrad.structure" not in meta:
        # a plain safetensors file from another tool: a flat {name: tensor} dict
        from .tensor import Tensor
        return {name: Tensor._make(arr) for name, arr in arrays.items()}
    try:
        structure = json.loads(meta["jitgrad.structure"])
    except ValueError:
        _fail(src, "the structure metadata is not valid JSON")
    dec = _Decoder(arrays, src)
    dec.check(structure)
    return dec.build(structure)
