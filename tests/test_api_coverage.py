"""scripts/api_coverage.py: runs against the installed torch, counts what it should (the
documented exclusions, in-place twins) and reports per area."""

import json
import os
import sys

import pytest

pytest.importorskip("torch")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import api_coverage  # noqa: E402


def test_exclusions():
    for name, reason in [
        ("cuda", "other devices"),
        ("is_cuda", "other devices"),
        ("cudnn_convolution", "other devices"),
        ("quantize_per_tensor", "quantization"),
        ("sparse_coo_tensor", "sparse"),
        ("crow_indices", "sparse"),
        ("view_as_real", "complex"),
        ("conj", "complex"),
        ("_foo", "internals"),
        ("sym_int", "internals"),
        ("transpose_copy", "internals"),
        ("native_layer_norm", "internals"),
    ]:
        assert api_coverage.excluded(name) == reason, name
    # real CPU ops that only look like excluded ones still count
    for name in (
        "quantile",
        "nanquantile",
        "index_copy",
        "flipud",
        "tril_indices",
        "max_pool2d_with_indices",
        "storage_offset",
    ):
        assert api_coverage.excluded(name) is None, name
    assert api_coverage._drop_inplace_twins({"relu", "relu_", "zero_"}) == {"relu", "zero_"}


def test_report_per_area(capsys):
    import torch

    areas = api_coverage.torch_areas(torch)
    assert set(areas) == {"functions", "Tensor", "functional", "nn classes", "optimizers"}
    assert "Adam" in areas["optimizers"] and "Optimizer" in areas["optimizers"]
    assert "relu" in areas["functional"] and "Callable" not in areas["functional"]
    assert "Linear" in areas["nn classes"] and "init" not in areas["nn classes"]
    assert "add" in areas["Tensor"] and "add_" not in areas["Tensor"] and "zero_" in areas["Tensor"]
    api_coverage.main(["--json"])
    report = json.loads(capsys.readouterr().out)
    opt = report["areas"]["optimizers"]
    assert opt["covered"] + len(opt["missing"]) == opt["total"] and "LBFGS" not in opt["missing"]
    for r in report["areas"].values():
        assert 0 < r["covered"] <= r["total"]
