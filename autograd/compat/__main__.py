"""``python -m autograd.compat script.py [args ...]``: run a PyTorch script on jitgrad.

Also ``python -m autograd.compat -m package.module [args ...]`` for a module. The script
runs as ``__main__`` with ``sys.argv`` as it would see it, its folder first on
``sys.path``, and ``torch`` resolved to jitgrad (see ``autograd.compat``).
"""

import os
import re
import runpy
import sys

from autograd.compat import NotSupportedError, install

USAGE = (
    "usage: python -m autograd.compat script.py [args ...]\n"
    "       python -m autograd.compat -m module [args ...]\n"
    "Runs a PyTorch script unmodified with torch resolved to jitgrad (CPU only)."
)


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        sys.exit(0 if argv else 2)
    install()
    try:
        _run(argv)
    except ImportError as e:
        _explain(e)
        raise


def _explain(e: ImportError) -> None:
    """``from torch.nn import Foo`` fails inside Python's import machinery with "cannot
    import name 'Foo' from 'torch.nn'"; add the same note as for ``torch.nn.Foo``."""
    m = re.match(r"cannot import name '(\w+)' from '(torch(\.\w+)*)'", str(e))
    if m and not isinstance(e, NotSupportedError) and hasattr(e, "add_note"):
        e.add_note(
            f"jitgrad: {m.group(2)}.{m.group(1)} is not supported by jitgrad yet (see the "
            "README section 'Run your PyTorch script' for what is supported)"
        )


def _run(argv) -> None:
    if argv[0] == "-m":
        if len(argv) < 2:
            print(USAGE, file=sys.stderr)
            sys.exit(2)
        sys.argv = argv[1:]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return
    script = argv[0]
    if not os.path.exists(script):
        print(
            f"python -m autograd.compat: can't open file {script!r}: no such file", file=sys.stderr
        )
        sys.exit(2)
    sys.argv = argv
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
