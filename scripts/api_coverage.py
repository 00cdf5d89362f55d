"""How much of PyTorch's public API jitgrad has, area by area.

Usage:
    python scripts/api_coverage.py              # one line per area
    python scripts/api_coverage.py --missing    # ... and the names jitgrad lacks
    python scripts/api_coverage.py --json       # machine-readable

Needs torch (2.13) installed next to jitgrad: torch's names are read from the installed
package, so the figures follow the version that is there.

Areas and what counts:
    functions    public callables in ``torch`` (not classes or modules) vs ``autograd.<name>``
    Tensor       public attributes of ``torch.Tensor`` (methods and properties) vs
                 ``autograd.Tensor.<name>``
    functional   public functions of ``torch.nn.functional`` vs ``nn.functional.<name>``
    nn classes   ``torch.nn`` Module subclasses and parameter classes vs ``nn.<name>``
    optimizers   ``torch.optim.Optimizer`` and its subclasses vs ``optim.<name>``

A name counts as present when jitgrad has an attribute of that name; whether it behaves as
torch's is what the test suite checks, not this script.

Left out (documented exclusions, in ``EXCLUDED_PATTERNS``/``EXCLUDED_NAMES`` below):
    * devices other than the CPU: CUDA/cuDNN, ROCm/MIOpen, MKL-DNN, FBGEMM, Vulkan, XLA, IPU,
      MPS, XPU, HPU, MTIA, ``is_cuda`` & co., streams, pinned and shared memory;
    * quantization (quantized tensors, fake quantization, qparams);
    * sparse tensors (COO/CSR/CSC/BSR/BSC layouts, sparse products and accessors);
    * complex numbers (complex dtypes and views, ``real``/``imag``/``conj``/``angle``,
      ``polar``, FFT-based ``stft``/``istft``);
    * internals: names starting with ``_``, TorchScript/compiler/symbolic-shape helpers,
      functionalization's ``*_copy`` variants of view ops, ``native_*`` kernels, SyncBatchNorm's
      ``batch_norm_*`` statistics kernels, ``unsafe_*`` variants, typing helpers and
      modules that ``torch.nn.functional`` merely imports, named-tensor prototypes;
    * in-place twins: ``foo_`` when ``foo`` is in the same area (an in-place-only name
      such as ``zero_`` or ``uniform_`` still counts).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import sys
import types

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

EXCLUDED_PATTERNS = {
    "other devices": r"(^|_)(cuda|cudnn|cudagraph|miopen|mkldnn|fbgemm|vulkan|xla|ipu|gpu|mps|"
    r"xpu|hpu|mtia|maia|nnpack|onednn|privateuse1)(_|$|\d)|pin_memory|is_pinned|"
    r"record_stream|share_memory|^is_shared$|^is_meta$|is_distributed|"
    r"DataParallel",
    "quantization": r"quantiz|qint|quint|^q_|qscheme|int_repr|choose_qparams|fake_quant",
    "sparse": r"sparse|_coo|csr|csc|bsr|bsc|spmm|^smm$|^dsmm$|^hsmm$|^hspmm$|^saddmm$|"
    r"^sspaddmm$|^indices$|^(c?col|crow|row)_indices$|^values$|coalesce|to_dense|"
    r"dense_dim|to_padded_tensor",
    "complex": r"complex|^real$|^imag$|conj|^angle$|^polar$|view_as_real|resolve_neg|^is_neg$|"
    r"^isreal$|stft|^cfloat$|^cdouble$|^chalf$|^sgn_?$|^adjoint$|^mH$|^H$",
    "internals": r"^_|^sym_|^native_|^batch_norm_(backward|elemt|gather|stats|update)|"
    r"^(alias|as_strided|detach|diagonal|expand|narrow|permute|select|slice|split|"
    r"split_with_sizes|squeeze|t|transpose|unbind|unfold|unsqueeze|view|values|"
    r"indices|(c?col|crow|row)_indices)_copy$|"
    r"^unsafe_|autocast_(in|de)crement|set_autocast_.*enabled|autocast_cache|"
    r"ir_module|^parse_|type_comment|unify_type_list|^classproperty$|cxx11|"
    r"multiprocessing_environment|^get_file_path$|^storage$|storage_type|"
    r"untyped_storage|^is_storage$|^module_load$|"
    r"^reinforce$|^volatile$|^map2?_$|^apply_$|^as_subclass$|^refine_names$|"
    r"^align_(as|to)$|^rename_?$|^names$|^has_names$|^is_set_to$|^set_$|"
    r"^dim_order$|^const_data_ptr$|^output_nr$|^grad_dtype$|^is_nested$",
}
EXCLUDED_NAMES = {
    # TorchScript, torch.compile and control-flow operators for export
    "compile",
    "cond",
    "while_loop",
    "fork",
    "wait",
    "jit",
    "export",
    "import_ir_module",
    # helpers torch.nn.functional imports rather than defines
    "boolean_dispatch",
    "handle_torch_function",
    "has_torch_function",
    "has_torch_function_unary",
    "has_torch_function_variadic",
    "assert_int_or_pair",
    # documentation strings and deprecated containers
    "reproducibility_notes",
    "sparse_support_notes",
    "tf32_notes",
    "Container",
    "LinearCrossEntropyOptions",
}


def excluded(name: str) -> str | None:
    """The reason ``name`` is left out of the count, or None."""
    if name in EXCLUDED_NAMES:
        return "internals"
    for reason, pattern in EXCLUDED_PATTERNS.items():
        if re.search(pattern, name):
            return reason
    return None


def _drop_inplace_twins(names):
    names = set(names)
    return {n for n in names if not (n.endswith("_") and n[:-1] in names)}


def _is_function(obj) -> bool:
    return callable(obj) and not inspect.isclass(obj) and not isinstance(obj, types.ModuleType)


def torch_areas(torch):
    """{area: sorted list of torch's names that count}."""
    areas = {}
    areas["functions"] = [n for n in dir(torch) if _is_function(getattr(torch, n))]
    areas["Tensor"] = [n for n in dir(torch.Tensor)]
    F = torch.nn.functional
    areas["functional"] = [
        n
        for n in dir(F)
        if _is_function(getattr(F, n))
        and getattr(getattr(F, n), "__module__", "") not in ("typing",)
        and not getattr(F, n).__class__.__name__.startswith("_Special")
    ]
    nn = torch.nn
    areas["nn classes"] = [
        n
        for n in dir(nn)
        if inspect.isclass(getattr(nn, n))
        and (issubclass(getattr(nn, n), nn.Module) or issubclass(getattr(nn, n), torch.Tensor))
    ]
    opt = torch.optim
    areas["optimizers"] = [
        n
        for n in dir(opt)
        if inspect.isclass(getattr(opt, n)) and issubclass(getattr(opt, n), opt.Optimizer)
    ]
    return {
        area: sorted(n for n in _drop_inplace_twins(names) if not excluded(n))
        for area, names in areas.items()
    }


def jitgrad_has(area: str, name: str) -> bool:
    import autograd
    import nn
    import optim

    target = {
        "functions": autograd,
        "Tensor": autograd.Tensor,
        "functional": nn.functional,
        "nn classes": nn,
        "optimizers": optim,
    }[area]
    try:
        return hasattr(target, name)
    except Exception:  # a lazy attribute that fails to import counts as missing
        return False


def coverage():
    try:
        import torch
    except ImportError:
        sys.exit("api_coverage.py needs torch installed (it reads torch's public names)")
    report = {"torch": torch.__version__, "areas": {}}
    for area, names in torch_areas(torch).items():
        have = [n for n in names if jitgrad_has(area, n)]
        missing = [n for n in names if n not in set(have)]
        report["areas"][area] = {
            "total": len(names),
            "covered": len(have),
            "percent": round(100 * len(have) / max(len(names), 1), 1),
            "missing": missing,
        }
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--missing", action="store_true", help="list the missing names")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    report = coverage()
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(
        f"jitgrad vs torch {report['torch']} public API (exclusions: see this script's docstring)"
    )
    for area, r in report["areas"].items():
        print(f"  {area:<12} {r['covered']:>4} / {r['total']:<4} {r['percent']:5.1f}%")
    if args.missing:
        for area, r in report["areas"].items():
            print(f"\nmissing in {area} ({len(r['missing'])}):")
            print("  " + " ".join(r["missing"]))


if __name__ == "__main__":
    main()
