"""Run PyTorch scripts on jitgrad: ``torch`` resolved to jitgrad's packages, in one process.

From a shell::

    python -m autograd.compat train.py --epochs 3      # runs train.py unmodified

In a notebook, before the first ``import torch``::

    import autograd.compat; autograd.compat.install()
    import torch, torch.nn as nn                      # jitgrad's autograd and nn

How names resolve: ``torch.nn...`` -> ``nn...``, ``torch.optim...`` -> ``optim...``,
``torch.autograd...`` -> ``autograd...``, every other ``torch.X...`` -> ``autograd.X...``
(so ``torch.utils.data`` is ``autograd.utils.data``, ``torch.cuda`` is ``autograd.cuda``).
The modules you get are thin stand-ins named ``torch...`` that read and write through to
jitgrad's modules; classes and functions are jitgrad's own objects (``torch.Tensor is
autograd.Tensor``). A name jitgrad lacks fails where the script uses it, with an error that
names the torch API and says it is not supported yet (an ``AttributeError`` /
``ModuleNotFoundError``, so ``hasattr`` and ``try: import`` still work).

Nothing is written to disk and nothing is installed: an installed ``torch`` package stays
as it is, and is simply not imported by this process. ``install()`` refuses to run when
the real torch is already imported (the two cannot share the name ``torch``).

This is the one module of ``autograd`` that names ``nn`` and ``optim``; it does so as
strings in the name table, resolved when a script imports them (the packages stay layered:
``autograd`` never imports ``nn`` or ``optim`` itself).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types

__all__ = ["install", "uninstall", "is_installed", "NotSupportedError", "TORCH_VERSION"]

# The torch release whose API jitgrad mirrors; scripts that compare torch.__version__ see it,
# with a local label saying what they really run on.
TORCH_VERSION = "2.13.0"

# torch prefix -> jitgrad module (longest prefix wins)
_PREFIXES = {
    "torch.nn": "nn",
    "torch.optim": "optim",
    "torch.autograd": "autograd",
    "torch": "autograd",
}

# Packages built on the real torch: under the runner they would import our stand-in and
# fail somewhere inside; say so at the import instead.
_NEEDS_REAL_TORCH = {
    "torchvision": "for data use autograd.datasets and autograd.transforms",
    "torchaudio": "",
    "torchtext": "",
    "lightning": "",
    "pytorch_lightning": "",
}

_README = "see the README section 'Run your PyTorch script' for what is supported"


class NotSupportedError(Exception):
    """A torch name jitgrad does not have (yet). Raised as an AttributeError (``torch.foo``)
    or a ModuleNotFoundError (``import torch.foo``), so scripts that probe with ``hasattr``
    or ``try: import`` behave as with a torch build that lacks the feature."""


class NotSupportedAttributeError(NotSupportedError, AttributeError):
    pass


class NotSupportedModuleError(NotSupportedError, ModuleNotFoundError):
    pass


def _not_supported(torch_name: str, kind=NotSupportedAttributeError) -> NotSupportedError:
    err = kind(f"{torch_name} is not supported by jitgrad yet ({_README})")
    err.name = torch_name
    return err


def _target_name(torch_name: str) -> str:
    """``torch.nn.functional`` -> ``nn.functional``; ``torch.utils.data`` ->
    ``autograd.utils.data``."""
    for prefix in sorted(_PREFIXES, key=len, reverse=True):
        if torch_name == prefix or torch_name.startswith(prefix + "."):
            return _PREFIXES[prefix] + torch_name[len(prefix) :]
    raise ValueError(torch_name)


_MISSING = object()


def _import_if_exists(name: str):
    try:
        if importlib.util.find_spec(name) is not None:
            return importlib.import_module(name)
    except (ImportError, ValueError):  # (a parent that is not a package)
        pass
    return None


def _resolve(torch_name: str):
    """The jitgrad module behind the torch module ``torch_name``, or None: by the name table
    (``torch.nn.init`` -> ``nn.init``), else as a module attribute of the parent's jitgrad
    module (``torch.linalg`` -> whatever ``autograd.linalg`` is)."""
    module = _import_if_exists(_target_name(torch_name))
    if module is not None:
        return module
    parent_name, _, attr = torch_name.rpartition(".")
    parent = sys.modules.get(parent_name)
    if isinstance(parent, TorchModule):
        target = object.__getattribute__(parent, "_jitgrad_target")
        value = getattr(target, attr, None)
        if isinstance(value, types.ModuleType):
            return value
        return _import_if_exists(f"{target.__name__}.{attr}")
    return None


class TorchModule(types.ModuleType):
    """A stand-in for the torch module ``name``: reads and writes go to jitgrad's module;
    attributes that are modules come back as stand-ins too, so ``torch.nn.functional.relu``
    and ``torch.backends.cudnn.benchmark = True`` work through any path."""

    def __init__(self, name: str, target: types.ModuleType):
        super().__init__(name)
        object.__setattr__(self, "_jitgrad_target", target)
        object.__setattr__(self, "__path__", [])  # a package: submodules can be imported
        object.__setattr__(self, "__doc__", target.__doc__)
        if name == "torch":
            object.__setattr__(self, "__version__", f"{TORCH_VERSION}+jitgrad.{target.__version__}")

    def __getattr__(self, attr):
        target = object.__getattribute__(self, "_jitgrad_target")
        full = f"{self.__name__}.{attr}"
        value = getattr(target, attr, _MISSING)
        if attr.startswith("__"):
            if value is _MISSING:
                raise AttributeError(attr)
            return value
        if value is _MISSING or isinstance(value, types.ModuleType):
            # a (sub)module: its stand-in, made by the finder (``torch.nn`` from ``torch``)
            try:
                return importlib.import_module(full)
            except ImportError:
                raise _not_supported(full) from None
        return value

    def __setattr__(self, attr, value):
        if attr.startswith("__") or isinstance(value, TorchModule):
            object.__setattr__(self, attr, value)  # module machinery and our submodules
        else:
            setattr(object.__getattribute__(self, "_jitgrad_target"), attr, value)

    def __dir__(self):
        return sorted(
            set(dir(object.__getattribute__(self, "_jitgrad_target"))) | set(self.__dict__)
        )

    def __repr__(self):
        return f"<module {self.__name__!r} (jitgrad: {self._jitgrad_target.__name__})>"


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers imports of ``torch`` and ``torch.*`` (and refuses torch-based packages)."""

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top in _NEEDS_REAL_TORCH:
            hint = _NEEDS_REAL_TORCH[top]
            err = ModuleNotFoundError(
                f"{top} needs the real PyTorch and cannot run on jitgrad"
                + (f"; {hint}" if hint else "")
                + f" ({_README})"
            )
            err.name = fullname
            raise err
        if top != "torch":
            return None
        if _resolve(fullname) is None:
            raise _not_supported(fullname, NotSupportedModuleError)
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        return TorchModule(spec.name, _resolve(spec.name))

    def exec_module(self, module):
        pass


_FINDER = _Finder()


def is_installed() -> bool:
    return _FINDER in sys.meta_path


def install() -> None:
    """Resolve ``import torch`` (and ``torch.*``) to jitgrad for the rest of this process.

    Example:
        >>> import autograd.compat
        >>> autograd.compat.install()
        >>> import torch
        >>> torch.zeros(2).device, torch.cuda.is_available()
        (device(type='cpu'), False)
        >>> autograd.compat.uninstall()
    """
    if is_installed():
        return
    real = sys.modules.get("torch")
    if real is not None and not isinstance(real, TorchModule):
        raise RuntimeError(
            "autograd.compat.install(): the real PyTorch is already imported in this process, "
            "so 'torch' cannot also name jitgrad. Call install() before the first "
            "'import torch' (in a notebook: restart the kernel and run it first)."
        )
    sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    """Undo ``install()``: forget the stand-in modules (the next ``import torch`` finds the
    real torch, if it is installed)."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n, m in sys.modules.items() if isinstance(m, TorchModule)]:
        del sys.modules[name]
