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

Writes are atomic: the bytes go to a temporary file in the target's directory, which is
fsynced and then renamed over the target, so an interrupted save leaves the previous file
intact (a temporary left by a killed process is removed by the next save of that target).
A symlink is followed (the link stays a link); devices, pipes and sockets are refused.
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

import errno
import json
import math
import os
import re
import secrets
import stat
import struct
from collections import OrderedDict

import numpy as np

from . import dtypes
from .errors import CheckpointError
from .dtypes import FLOAT_KINDS

__all__ = ["save", "load"]

_FORMAT = "jitgrad"
_FORMAT_VERSION = "1"
_MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit on the JSON header
_MAX_DEPTH = 100  # nesting of the saved object tree (deeper is refused on save and on load)

# safetensors dtype codes <-> NumPy dtypes (little-endian)
_CODES = {
    "BOOL": np.dtype(np.bool_),
    "U8": np.dtype("<u1"),
    "I8": np.dtype("<i1"),
    "I16": np.dtype("<i2"),
    "I32": np.dtype("<i4"),
    "I64": np.dtype("<i8"),
    "F16": np.dtype("<f2"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
}
_CODE_OF = {
    dt.newbyteorder("=") if dt.byteorder != "|" else dt: code for code, dt in _CODES.items()
}


# Tensor subclasses that come back as themselves (``cls(tensor, requires_grad)``). autograd
# does not import nn, so nn registers ``Parameter`` here when it is imported.
_SUBCLASSES: dict = {}


def register_tensor_subclass(kind: str, cls) -> None:
    """Let checkpoints restore tensors of type ``cls`` (built as ``cls(tensor, requires_grad)``)."""
    _SUBCLASSES[kind] = cls


def _code_of(arr: np.ndarray) -> str:
    if arr.dtype.name == "bfloat16":
        return "BF16"
    dt = arr.dtype.newbyteorder("=") if arr.dtype.byteorder not in ("|", "=") else arr.dtype
    code = _CODE_OF.get(dt)
    if code is None:
        raise TypeError(f"autograd.save: arrays of dtype {arr.dtype} cannot be stored")
    return code


# ---- encoding the object tree ---------------------------------------------------------------
class _Encoder:
    """Turns the object tree into JSON-able data plus a list of named arrays."""

    def __init__(self):
        self.arrays = []  # (name, ndarray)
        self.by_id = {}  # id(tensor) -> name, so a shared tensor is stored once
        self._keep = []  # keep encoded objects alive so ids stay unique

    def _add_array(self, obj, arr):
        name = self.by_id.get(id(obj))
        if name is None:
            name = f"t{len(self.arrays)}"
            self.by_id[id(obj)] = name
            self._keep.append(obj)
            self.arrays.append(
                (name, np.asarray(arr, order="C"))
            )  # keeps 0-d (ascontiguousarray would not)
        return name

    def encode(self, obj, where="obj", depth=0):
        from .tensor import Tensor
        from .dtypes import dtype as _dtype

        if depth > _MAX_DEPTH:
            raise ValueError(
                f"autograd.save: the object is nested more than {_MAX_DEPTH} levels "
                f"deep (at {where[:200]}...); flatten it"
            )
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"__float__": repr(obj)}
        if isinstance(obj, np.generic):
            return self.encode(obj.item(), where, depth)
        if isinstance(obj, Tensor):
            node = {
                "__tensor__": self._add_array(obj, obj._data),
                "requires_grad": obj._requires_grad,
            }
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
                    raise TypeError(
                        f"autograd.save: dict keys must be str/int/float/bool/None/tuple, "
                        f"got {type(k).__name__} at {where}"
                    )
                key = self.encode(k, where, depth + 1)
                if not _is_key(key, depth):
                    raise TypeError(
                        f"autograd.save: dict key {k!r} at {where} is not storable: "
                        "tuple keys may hold only str/int/float/bool/None/tuple"
                    )
                items.append([key, self.encode(v, f"{where}[{k!r}]", depth + 1)])
            return {"__dict__": items, "ordered": isinstance(obj, OrderedDict)}
        if isinstance(obj, list):
            return [self.encode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {
                "__tuple__": [self.encode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(obj)]
            }
        raise TypeError(
            f"autograd.save: cannot store an object of type {type(obj).__name__} at "
            f"{where}. Checkpoints hold tensors, arrays, numbers, strings, bools, None and "
            "dicts/lists/tuples of them (never pickle); convert it to one of those first."
        )


def _encode(obj):
    """The file's pieces: the 8-byte size + JSON header, then each array's bytes."""
    enc = _Encoder()
    structure = enc.encode(obj)
    header = {
        "__metadata__": {
            "format": _FORMAT,
            "jitgrad.version": _FORMAT_VERSION,
            "jitgrad.structure": json.dumps(structure, allow_nan=False),
        }
    }
    offset = 0
    arrays = []
    for name, arr in enc.arrays:
        code = _code_of(arr)
        if code != "BF16":  # (bfloat16 is little-endian already)
            arr = arr.astype(_CODES[code], copy=False)
        arr = np.asarray(arr, order="C")  # keeps 0-d
        header[name] = {
            "dtype": code,
            "shape": [int(s) for s in arr.shape],
            "data_offsets": [offset, offset + arr.nbytes],
        }
        offset += arr.nbytes
        arrays.append(arr)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-(8 + len(head)) % 8)  # align the data to 8 bytes, as safetensors does
    # the arrays are written one by one, not joined: a checkpoint never needs twice its memory
    return [struct.pack("<Q", len(head)) + head] + [a.reshape(-1).view(np.uint8) for a in arrays]


# A temporary file is named after its target and the process writing it, so the next save of
# the same target can tell a leftover of a killed save (its process is gone) from a save that
# another process is doing right now.
_TMP_SUFFIX = ".jitgrad-tmp"


def _tmp_pattern(base):
    return re.compile(
        r"\." + re.escape(base) + r"\.(\d+)\.[0-9a-f]{8}" + re.escape(_TMP_SUFFIX) + "$"
    )


def _sweep_stale_temps(directory, base):
    """Remove temporaries of ``base`` left by saves whose process no longer exists."""
    pattern = _tmp_pattern(base)
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        m = pattern.match(name)
        if m is None:
            continue
        pid = int(m.group(1))
        try:
            os.kill(pid, 0)
            continue  # alive (or not ours to signal): its save may be in progress
        except ProcessLookupError:
            pass
        except (PermissionError, OverflowError):
            continue
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass


def _kind_of(mode):
    for test, what in (
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return what
    return "not a regular file"


def _write_atomically(pieces, path):
    """Write ``pieces`` to ``path`` through a temporary file in the target's folder."""
    # A symlink (``latest -> ckpt_100``) stays a link: the file it points to is replaced.
    target = os.path.realpath(path)
    directory, base = os.path.split(target)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(
            errno.EISDIR,
            f"autograd.save: {path!r} is a directory; give a "
            f"file path such as {os.path.join(path, 'model.safetensors')!r}",
        )
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OSError(
            errno.EINVAL,
            f"autograd.save: {path!r} is {_kind_of(st.st_mode)}, not a "
            "regular file; refusing to replace it (a save writes a new file and renames "
            "it over the target). Save to a regular file path instead",
        )
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            errno.ENOENT,
            f"Parent directory {os.path.dirname(path) or '.'} does "
            f"not exist. Create it first: os.makedirs({os.path.dirname(path)!r}, "
            "exist_ok=True)",
        )
    _sweep_stale_temps(directory, base)
    tmp = os.path.join(directory, f".{base}.{os.getpid()}.{secrets.token_hex(4)}{_TMP_SUFFIX}")
    fd = -1
    try:
        # 0o666 and the umask, like open(path, "w"); an existing file keeps its mode and owner
        try:
            fd = os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666
            )
        except OSError as e:
            raise type(e)(
                e.errno,
                f"autograd.save: cannot create a file in the folder {directory!r} "
                f"to save {path!r}: {e.strerror}",
            ) from e
        if st is not None:
            os.fchmod(fd, stat.S_IMODE(st.st_mode))
            if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
                try:
                    os.fchown(fd, st.st_uid, st.st_gid)
                except OSError:
                    pass  # only root may give a file away; the mode is kept all the same
        with os.fdopen(fd, "wb") as out:
            fd = -1  # the file object owns (and closes) it now
            for piece in pieces:
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        if fd >= 0:
            os.close(fd)
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


def save(obj, f) -> None:
    """Save tensors / a state dict / nested containers to ``f`` (a path or binary file).

    Writing to a path is atomic (temporary file + fsync + rename): an interrupted save leaves
    the previous file intact. A symlink is followed (the file it points to is replaced and the
    link stays), a new file gets the usual permissions (0o666 minus the umask), an overwritten
    one keeps its mode. Nothing is pickled.

    Example:
        >>> import nn
        >>> model = nn.Linear(2, 1)
        >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
        >>> autograd.save({"model": model.state_dict(), "epoch": 3}, path)
    """
    pieces = _encode(obj)  # fails before touching the file if obj has unsupported parts
    if hasattr(f, "write") and not isinstance(f, (str, bytes, os.PathLike)):
        for piece in pieces:
            f.write(piece)
        return
    _write_atomically(pieces, os.fspath(f))


# ---- decoding and validation -------------------------------------------------------------------
def _fail(src, why):
    raise CheckpointError(f"cannot load checkpoint {src}: {why}")


_CONVERT_RECIPE = """\
    import torch
    from safetensors.torch import save_file
    state = torch.load("model.pt", map_location="cpu", weights_only=True)
    # a checkpoint dict such as {"model": state_dict, "epoch": 3}: take its state_dict
    state = state.get("model", state) if isinstance(state, dict) else state
    save_file({k: v.contiguous() for k, v in state.items()}, "model.safetensors")
then here: model.load_state_dict(autograd.load("model.safetensors"))"""


def _parse(raw: bytes, src: str):
    """Validate the file layout and return (metadata, {name: ndarray})."""
    if len(raw) == 0:
        _fail(src, "the file is empty (0 bytes); it was probably never written completely")
    # pickle protocol >= 2 starts with 0x80, torch.save's zip with PK; a safetensors file can
    # also start with 0x80 (a header length of 128 + 256k bytes), but its JSON header follows
    if (raw[:1] == b"\x80" or raw[:4] == b"PK\x03\x04") and raw[8:9] != b"{":
        _fail(
            src,
            "it is a PyTorch pickle file (torch.save's format). autograd.load never "
            "unpickles (unpickling can run arbitrary code), so convert it once to safetensors "
            "in an environment that has PyTorch:\n" + _CONVERT_RECIPE,
        )
    if len(raw) < 8:
        _fail(src, f"the file is truncated ({len(raw)} bytes, shorter than the 8-byte header size)")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > _MAX_HEADER:
        _fail(src, f"not a safetensors file (header length field {n} is implausible)")
    if 8 + n > len(raw):
        _fail(
            src,
            f"the file is truncated (header says {n} bytes of JSON but only {len(raw) - 8} "
            "bytes follow)",
        )
    try:
        header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        _fail(src, "not a safetensors file (the header is not valid JSON)")
    except RecursionError:
        _fail(src, "not a safetensors file (the JSON header is nested too deeply)")
    if not isinstance(header, dict):
        _fail(src, "not a safetensors file (the header is not a JSON object)")
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        _fail(src, "malformed safetensors metadata (must map strings to strings)")
    buf = memoryview(raw)[8 + n :]
    arrays = {}
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= set(info):
            _fail(src, f"malformed entry for tensor {name!r}")
        code, shape, offs = info["dtype"], info["shape"], info["data_offsets"]
        if not isinstance(code, str) or (code not in _CODES and code != "BF16"):
            _fail(src, f"tensor {name!r} has unsupported dtype {code!r}")
        if not isinstance(shape, list) or not all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape
        ):
            _fail(src, f"tensor {name!r} has an invalid shape {shape!r}")
        if (
            not isinstance(offs, list)
            or len(offs) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offs)
        ):
            _fail(src, f"tensor {name!r} has invalid data offsets {offs!r}")
        begin, end = offs
        dt = dtypes.bfloat16.np if code == "BF16" else _CODES[code]  # (ml_dtypes loaded on use)
        expected = math.prod(shape) * dt.itemsize  # Python ints: a crafted shape cannot overflow
        if not 0 <= begin <= end or end - begin != expected:
            _fail(
                src,
                f"tensor {name!r}: data offsets {offs} do not match dtype {code} and shape "
                f"{shape} ({expected} bytes)",
            )
        if end > len(buf):
            _fail(
                src,
                f"the file is truncated (tensor {name!r} needs bytes up to {end} of the data "
                f"section, which has only {len(buf)})",
            )
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

    def check(self, node, depth=0):
        """Validate the whole structure (every entry's form, every reference) before building
        anything, so that build() cannot fail half-way."""
        if depth > _MAX_DEPTH:
            _fail(self.src, f"the structure metadata is nested more than {_MAX_DEPTH} levels deep")
        if node is None or isinstance(node, (bool, int, float, str)):
            return
        if isinstance(node, list):
            for v in node:
                self.check(v, depth + 1)
            return
        if not isinstance(node, dict) or len(node) == 0:
            _fail(self.src, "malformed structure metadata")
        if "__tensor__" in node or "__ndarray__" in node:
            ref = node.get("__tensor__", node.get("__ndarray__"))
            if not isinstance(ref, str) or ref not in self.arrays:
                _fail(self.src, f"the structure refers to a missing tensor {ref!r}")
            if not isinstance(node.get("kind", ""), str):
                _fail(self.src, f"malformed tensor kind {node['kind']!r} in structure metadata")
        elif "__dict__" in node:
            items = node["__dict__"]
            if not isinstance(items, list) or not all(
                isinstance(kv, list) and len(kv) == 2 for kv in items
            ):
                _fail(self.src, "malformed dict in structure metadata")
            for k, v in items:
                if not _is_key(k, depth):
                    _fail(self.src, f"malformed dict key {k!r} in structure metadata")
                self.check(v, depth + 1)
        elif "__tuple__" in node:
            if not isinstance(node["__tuple__"], list):
                _fail(self.src, "malformed tuple in structure metadata")
            for v in node["__tuple__"]:
                self.check(v, depth + 1)
        elif "__float__" in node:
            if node["__float__"] not in ("nan", "inf", "-inf"):
                _fail(self.src, "malformed float in structure metadata")
        elif "__dtype__" in node:
            from . import dtypes

            if not isinstance(node["__dtype__"], str) or node["__dtype__"] not in dtypes._NAMES:
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
            requires_grad = bool(node.get("requires_grad")) and arr.dtype.kind in FLOAT_KINDS
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


def _is_key(k, depth):
    """What the encoder writes for a dict key: a scalar, a float marker or a tuple of keys."""
    if depth > _MAX_DEPTH:
        return False
    if k is None or isinstance(k, (bool, int, float, str)):
        return True
    if isinstance(k, dict):
        if set(k) == {"__float__"}:
            return k["__float__"] in ("nan", "inf", "-inf")
        return (
            set(k) == {"__tuple__"}
            and isinstance(k["__tuple__"], list)
            and all(_is_key(x, depth + 1) for x in k["__tuple__"])
        )
    return False


def _hashable(k):
    return tuple(_hashable(x) for x in k) if isinstance(k, (list, tuple)) else k


def load(f, map_location=None, *, weights_only: bool = True, mmap=None, **kwargs):
    """Load what ``autograd.save`` stored (or any safetensors file) from a path or binary file.

    The whole file is validated first; any problem (empty, truncated, garbage, a pickle or
    torch.save file, inconsistent sizes) raises ``CheckpointError``; for a PyTorch pickle the
    message shows how to convert it to safetensors. ``map_location`` is accepted for torch
    compatibility (everything is on the CPU). ``weights_only`` changes nothing: a checkpoint
    here holds only data (tensors, numbers, strings and containers), never code, so
    ``weights_only=False`` (what scripts pass to load a full checkpoint) loads the same safe
    way. A plain safetensors file (e.g. written by ``safetensors.torch.save_file`` in
    PyTorch) loads as a ``{name: tensor}`` dict, ready for ``load_state_dict``.

    Example:
        >>> path = os.path.join(tempfile.mkdtemp(), "t.safetensors")
        >>> autograd.save([autograd.tensor([1, 2]), None, "x"], path)
        >>> autograd.load(path)
        [tensor([1, 2]), None, 'x']
    """
    if isinstance(map_location, (str, int)) or hasattr(map_location, "type"):
        # a device: only the CPU exists (torch's CPU-build error otherwise); a dict or a
        # function (``lambda storage, loc: storage``) maps devices, and here all is on the CPU
        from . import devices

        if devices.as_device(map_location).type == "cuda":
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
                "is False. If you are running on a CPU-only machine, please use torch.load with "
                "map_location=torch.device('cpu') to map your storages to the CPU."
            )
        devices.check_move(map_location)
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
        raise CheckpointError(
            f"cannot load checkpoint {src}: the file was opened in text mode; open it with 'rb'"
        )
    meta, arrays = _parse(bytes(raw), src)
    if meta.get("format") != _FORMAT or "jitgrad.structure" not in meta:
        # a plain safetensors file from another tool: a flat {name: tensor} dict
        from .tensor import Tensor

        return {name: Tensor._make(arr) for name, arr in arrays.items()}
    try:
        structure = json.loads(meta["jitgrad.structure"])
    except ValueError:
        _fail(src, "the structure metadata is not valid JSON")
    except RecursionError:
        _fail(src, f"the structure metadata is nested more than {_MAX_DEPTH} levels deep")
    dec = _Decoder(arrays, src)
    dec.check(structure)
    return dec.build(structure)
