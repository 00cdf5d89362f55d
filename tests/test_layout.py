"""Architecture rules from DESIGN.md, enforced by parsing imports.

nn -> autograd, optim -> autograd; autograd imports neither; optim never imports nn;
autograd/kernels never imports the Tensor (or anything outside numpy/numba/math).
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _imports(path: pathlib.Path, package: str):
    tree = ast.parse(path.read_text())
    mods = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                parts = path.relative_to(ROOT).with_suffix("").parts[:-node.level]
                base = ".".join(parts)
                mods.append(f"{base}.{node.module}" if node.module else base)
            else:
                mods.append(node.module)
    return [m for m in mods if m]


def _files(pkg):
    return sorted((ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("pkg,forbidden", [("autograd", ("nn", "optim")), ("optim", ("nn",))])
def test_dependency_direction(pkg, forbidden):
    bad = []
    for f in _files(pkg):
        for m in _imports(f, pkg):
            if m.split(".")[0] in forbidden:
                bad.append(f"{f.relative_to(ROOT)} imports {m}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("pkg", ["nn", "optim"])
def test_kernels_are_chosen_only_by_autograd_dispatch(pkg):
    """nn and optim never pick kernels or backends themselves: ops (and optimizers, through
    ``autograd.dispatch.kernels``) do, in one place."""
    bad = []
    for f in _files(pkg):
        for m in _imports(f, pkg):
            if m.startswith(("autograd.kernels", "autograd.backend")):
                bad.append(f"{f.relative_to(ROOT)} imports {m}")
    assert not bad, "\n".join(bad)


def test_only_dispatch_imports_the_kernels():
    """Inside autograd, kernel modules are reached through autograd/dispatch.py only."""
    bad = []
    for f in _files("autograd"):
        rel = f.relative_to(ROOT).as_posix()
        if rel.startswith("autograd/kernels/") or rel == "autograd/dispatch.py":
            continue
        for m in _imports(f, "autograd"):
            if m.startswith("autograd.kernels"):
                bad.append(f"{rel} imports {m}")
    assert not bad, "\n".join(bad)


def test_kernels_never_import_the_tensor():
    allowed = {"numpy", "numba", "math", "os", "__future__", "threading", "functools", "typing",
               "warnings", "sys", "pathlib", "tempfile", "contextlib", "glob", "hashlib", "llvmlite", "struct",
               "types", "re",
               "autograd"}
    bad = []
    for f in _files("autograd/kernels") if (ROOT / "autograd/kernels").exists() else []:
        for m in _imports(f, "autograd"):
            top = m.split(".")[0]
            if top not in allowed or (top == "autograd" and not m.startswith("autograd.kernels")):
                bad.append(f"{f.relative_to(ROOT)} imports {m}")
    assert not bad, "\n".join(bad)


def test_import_autograd_is_cheap():
    """`import autograd` must not pull in heavy optional modules."""
    import subprocess
    import sys
    code = ("import sys, autograd; heavy = [m for m in ('numba', 'matplotlib', 'graphviz', 'torch', "
            "'scipy.special', 'safetensors', 'tqdm') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
