"""torch's module layout: every name jitgrad has is importable from where torch keeps it
(``from torch.nn.modules.loss import _Loss``, ``from torch.utils.data.dataloader import
DataLoader`` ...), as jitgrad's matching module (torch.nn -> nn, torch.optim -> optim,
torch.* -> autograd.*). The list of places is read from the installed torch."""

import importlib
import pkgutil
import types

import pytest

import autograd
import autograd.utils.data
import nn
import optim

PACKAGES = {"torch.nn": nn, "torch.optim": optim, "torch.utils.data": autograd.utils.data}
# torch-internal or out-of-scope subpackages (quantization, functorch-era datapipes ...)
SKIP = (
    "quantized",
    "qat",
    "intrinsic",
    "quantizable",
    "datapipes",
    "backends",
    "attention",
    "parallel",
    "parametriz",
    "prune",
    "_",
)

# private names scripts import often (not in torch's __all__)
PRIVATE = [
    ("torch.nn.modules.loss", "_Loss"),
    ("torch.nn.modules.loss", "_WeightedLoss"),
    ("torch.nn.modules.conv", "_ConvNd"),
    ("torch.nn.modules.batchnorm", "_BatchNorm"),
    ("torch.nn.modules.pooling", "_MaxPoolNd"),
    ("torch.nn.modules.utils", "_pair"),
    ("torch.nn.modules.utils", "_single"),
    ("torch.nn.modules.utils", "_triple"),
    ("torch.nn.modules.utils", "_quadruple"),
    ("torch.optim.lr_scheduler", "_LRScheduler"),
    ("torch.optim.optimizer", "required"),
    ("torch.nn.init", "_calculate_fan_in_and_fan_out"),
    ("torch.nn.modules.module", "Module"),
    ("torch.nn.modules.rnn", "RNNBase"),
]


def _ours(torch_name):
    for t, o in (("torch.nn", "nn"), ("torch.optim", "optim"), ("torch", "autograd")):
        if torch_name == t or torch_name.startswith(t + "."):
            return o + torch_name[len(t) :]


def _public(mod):
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [
            n
            for n, v in vars(mod).items()
            if not n.startswith("_") and getattr(v, "__module__", None) == mod.__name__
        ]
    return names


def _places():
    torch = pytest.importorskip("torch")  # noqa: F841
    out = []
    for tname, ours_pkg in PACKAGES.items():
        tpkg = importlib.import_module(tname)
        subs = [tname] + [
            n
            for _, n, _ in pkgutil.walk_packages(tpkg.__path__, prefix=tname + ".")
            if not any(p.startswith(SKIP) for p in n[len(tname) + 1 :].split("."))
        ]
        for sub in subs:
            try:
                tmod = importlib.import_module(sub)
            except Exception:  # optional torch parts that need other libraries
                continue
            try:
                ours_mod = importlib.import_module(_ours(sub))
            except ImportError:
                ours_mod = None
            for name in _public(tmod):
                ours = getattr(ours_pkg, name, None) or getattr(ours_mod, name, None)
                if ours is not None and not isinstance(ours, types.ModuleType):
                    out.append((sub, name))
    return out


def test_names_are_where_torch_has_them():
    missing = []
    for sub, name in _places() + PRIVATE:
        try:
            mod = importlib.import_module(_ours(sub))
        except ImportError:
            missing.append(f"{sub} (no module {_ours(sub)})")
            continue
        if not hasattr(mod, name):
            missing.append(f"{sub}.{name}")
    assert not missing, "\n".join(missing)


def test_layout_places_cover_the_common_imports():
    places = {s for s, _ in _places()}
    for sub in (
        "torch.nn.modules.linear",
        "torch.nn.modules.loss",
        "torch.nn.parameter",
        "torch.nn.utils.rnn",
        "torch.nn.init",
        "torch.optim.lr_scheduler",
        "torch.optim.optimizer",
        "torch.utils.data.dataloader",
        "torch.utils.data.dataset",
        "torch.utils.data.sampler",
        "torch.utils.data.distributed",
    ):
        assert sub in places, sub
