"""Architecture rules from docs/design.md, enforced by parsing imports.

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
                parts = path.relative_to(ROOT).with_suffix("").parts[: -node.level]
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


def _private_autograd_names(path: pathlib.Path, pkg: str):
    """``autograd`` names that start with ``_`` used by a file: imported (``from autograd.x
    import _y``, ``import autograd._x``) or reached as attributes of an imported autograd
    module (``autograd.random._gen``)."""
    tree = ast.parse(path.read_text())
    found, aliases = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "autograd":
                    if a.asname:  # import autograd.x as y
                        aliases[a.asname] = a.name
                    else:  # import autograd(.x): the name bound is autograd
                        aliases["autograd"] = "autograd"
                    if any(p.startswith("_") for p in a.name.split(".")):
                        found.append(a.name)
        elif (
            isinstance(node, ast.ImportFrom)
            and not node.level
            and node.module
            and node.module.split(".")[0] == "autograd"
        ):
            if any(p.startswith("_") for p in node.module.split(".")):
                found.append(node.module)
            for a in node.names:
                if a.name.startswith("_"):
                    found.append(f"{node.module}.{a.name}")
                else:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    for node in ast.walk(tree):  # attribute chains rooted at an autograd module alias
        if isinstance(node, ast.Attribute):
            chain, cur = [node.attr], node.value
            while isinstance(cur, ast.Attribute):
                chain.append(cur.attr)
                cur = cur.value
            if isinstance(cur, ast.Name) and cur.id in aliases:
                chain.reverse()
                for k, part in enumerate(chain):
                    if part.startswith("_") and not part.startswith("__"):
                        # attributes of a Tensor class (``Tensor._make``) are the object's
                        # business, not a private module name
                        owner = aliases[cur.id].split(".")[-1] if not k else chain[k - 1]
                        if owner[:1].islower():
                            found.append(f"{aliases[cur.id]}.{'.'.join(chain[: k + 1])}")
                        break
    return found


@pytest.mark.parametrize("pkg", ["nn", "optim"])
def test_nn_and_optim_use_only_public_autograd_names(pkg):
    bad = []
    for f in _files(pkg):
        bad += [f"{f.relative_to(ROOT)} uses {n}" for n in _private_autograd_names(f, pkg)]
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
    allowed = {
        "numpy",
        "numba",
        "math",
        "os",
        "__future__",
        "threading",
        "functools",
        "typing",
        "warnings",
        "sys",
        "pathlib",
        "tempfile",
        "contextlib",
        "glob",
        "hashlib",
        "llvmlite",
        "struct",
        "types",
        "autograd",
    }
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

    code = (
        "import sys, autograd; heavy = [m for m in ('numba', 'matplotlib', 'graphviz', 'torch', "
        "'scipy.special', 'safetensors', 'tqdm') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level_imports(path: pathlib.Path, modules: set) -> set:
    """The package modules ``path`` imports while it is itself being imported (imports in
    functions run later and are not counted). ``from pkg import sub`` counts as ``pkg.sub``."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Import):
                found.update(a.name for a in sub.names)
            elif isinstance(sub, ast.ImportFrom):
                base = sub.module or ""
                if sub.level:
                    up = package.split(".")[: len(package.split(".")) - (sub.level - 1)]
                    base = ".".join(up + ([sub.module] if sub.module else []))
                subs = {f"{base}.{a.name}" for a in sub.names if f"{base}.{a.name}" in modules}
                found |= subs or {base}
    return {m for m in found if m in modules and m != name}


def test_no_module_level_import_cycle():
    """Modules import each other in one direction only (dtypes -> tensor -> function -> ops ->
    engine -> tensor_methods -> autograd): no module imports one that, directly or not,
    imports it back while it is being loaded."""
    files = {_module_name(f): f for pkg in ("autograd", "nn", "optim") for f in _files(pkg)}
    graph = {m: _module_level_imports(f, set(files)) for m, f in files.items()}
    state, cycle = {}, []

    def visit(m, path):
        state[m] = "open"
        for d in sorted(graph[m]):
            if state.get(d) == "open":
                cycle.append(" -> ".join(path[path.index(d) :] + [d]))
            elif d not in state:
                visit(d, path + [d])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycle, "\n".join(cycle)


def test_op_family_is_the_file_that_defines_the_op():
    """``family`` names the autograd/ops/ file with the op's code (docs/architecture.md finds
    an op's file from ``REGISTRY[name].family``), one of the listed families: an op moved to
    another file takes its family along."""
    import autograd.ops
    from autograd.ops import REGISTRY

    families = set(autograd.ops.FAMILIES) | set(autograd.ops.FUNCTIONAL_FAMILIES)
    bad = [
        f"{key}: family {info.family!r}, defined in {info.fn.__module__}"
        for key, info in REGISTRY.items()
        if info.family not in families or info.fn.__module__ != f"autograd.ops.{info.family}"
    ]
    assert not bad, "\n".join(bad)


# Issue #15: "no source file over ~800 lines".
_MAX_LINES = 800


def test_no_library_source_file_is_over_800_lines():
    """A module that grows past 800 lines is split by sub-family (docs/architecture.md lists
    the families and the shared underscore modules), so a reader finds one theme per file."""
    long = []
    for pkg in ("autograd", "nn", "optim"):
        for f in _files(pkg):
            rel = f.relative_to(ROOT).as_posix()
            n = len(f.read_text().splitlines())
            if n > _MAX_LINES:
                long.append(f"{rel}: {n} lines")
    assert not long, "\n".join(long)
