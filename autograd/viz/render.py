"""Turn DOT text into pictures with the Graphviz ``dot`` program, and show them in Jupyter.

The ``dot`` executable is looked up on ``PATH`` at every call (so installing Graphviz in a
running notebook works). Without it:

* ``Graph.source`` still works (DOT is built in pure Python);
* notebook display falls back to a short text that says how to install Graphviz
  (a cell never fails because of a missing program);
* ``Graph.render`` / ``Graph.pipe`` raise :class:`GraphvizNotFoundError` with the same hint.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from .dot import count_nodes

INSTALL_HINT = (
    "The Graphviz 'dot' program is needed to render this picture but was not found on PATH.\n"
    "Install Graphviz, then retry:\n"
    "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  conda:          conda install -c conda-forge graphviz\n"
    "  Windows:        winget install graphviz   (then reopen the terminal)\n"
    "The DOT text is available without it: graph.source (or graph.save('graph.dot'))."
)

FORMATS = ("svg", "png", "pdf")


class GraphvizNotFoundError(RuntimeError):
    """The ``dot`` program is not installed (or not on PATH)."""


def find_dot():
    """Full path of the ``dot`` executable, or None."""
    return shutil.which("dot")


def run_dot(source: str, format: str = "svg", timeout: float = 60.0) -> bytes:
    """Lay out and render DOT text; returns the file contents as bytes."""
    if format not in FORMATS:
        raise ValueError(f"viz: format must be one of {FORMATS}, got {format!r}")
    exe = find_dot()
    if exe is None:
        raise GraphvizNotFoundError(INSTALL_HINT)
    try:
        proc = subprocess.run(
            [exe, f"-T{format}"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            f"viz: 'dot' took longer than {timeout:.0f} s; draw fewer nodes "
            "(max_nodes=..., collapse=...)"
        ) from None
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"viz: 'dot -T{format}' failed (exit {proc.returncode}): {msg}")
    return proc.stdout


class Graph:
    """A drawn graph: DOT ``source``, ``render(path)`` to a file, inline display in Jupyter.

    Example:
        >>> import autograd
        >>> x = autograd.tensor([1.0, 2.0], requires_grad=True)
        >>> g = autograd.viz.draw((x * x).sum())
        >>> g.source.startswith("digraph")
        True
        >>> g.render("graph.svg")          # doctest: +SKIP
    """

    def __init__(self, source: str, num_nodes: int | None = None):
        self.source = source
        self.num_nodes = count_nodes(source) if num_nodes is None else num_nodes
        self._cache = {}

    def pipe(self, format: str = "svg") -> bytes:
        """The rendered picture as bytes (needs Graphviz)."""
        if format not in self._cache:
            self._cache[format] = run_dot(self.source, format)
        return self._cache[format]

    def svg(self) -> str:
        return self.pipe("svg").decode("utf-8")

    def render(self, path, format: str | None = None):
        """Write the picture to ``path``; the format comes from the suffix unless given.

        Returns the path. Raises GraphvizNotFoundError (with install instructions) if the
        ``dot`` program is missing.
        """
        path = os.fspath(path)
        if format is None:
            ext = os.path.splitext(path)[1].lstrip(".").lower()
            format = ext if ext in FORMATS else "svg"
        data = self.pipe(format)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def save(self, path):
        """Write the DOT text (works without Graphviz)."""
        with open(os.fspath(path), "w", encoding="utf-8") as f:
            f.write(self.source)
        return path

    # ---- Jupyter -------------------------------------------------------------------
    def _repr_mimebundle_(self, include=None, exclude=None):
        try:
            return {"image/svg+xml": self.svg(), "text/plain": repr(self)}
        except GraphvizNotFoundError:
            return {"text/plain": repr(self) + "\n" + INSTALL_HINT}
        except Exception as e:  # never let a display error break a notebook cell
            return {"text/plain": f"{self!r}\nviz: could not render the picture: {e}"}

    def _repr_svg_(self):
        try:
            return self.svg()
        except Exception:
            return None

    def __repr__(self):
        return f"<autograd.viz.Graph: {self.num_nodes} nodes; .source has the DOT text>"
