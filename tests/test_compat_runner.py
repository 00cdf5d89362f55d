"""The runner (``python -m autograd.compat script.py``) and ``autograd.compat.install()``.

Everything runs in a fresh interpreter: the test process itself may have imported the real
torch (parity tests), and install() must refuse to run then."""

import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    ),
}


def python(code, *args, check=True):
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out


def runner(tmp_path, script, *args):
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(script))
    return subprocess.run(
        [sys.executable, "-m", "autograd.compat", str(path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        cwd=tmp_path,
    )


def test_install_resolves_torch_names_to_jitgrad():
    out = python("""
        import autograd.compat
        autograd.compat.install()
        import autograd, nn, optim
        import torch
        import torch.nn as tnn
        import torch.nn.functional as F
        from torch.utils.data import DataLoader
        from torch.utils.data.dataloader import DataLoader as DL2
        from torch.nn.modules.loss import _Loss
        from torch.optim.lr_scheduler import StepLR
        import torch.backends.cudnn as cudnn
        assert torch.Tensor is autograd.Tensor and tnn.Linear is nn.Linear
        assert F.relu is nn.functional.relu and torch.optim.Adam is optim.Adam
        assert DataLoader is DL2 is autograd.utils.data.DataLoader and StepLR is optim.lr_scheduler.StepLR
        assert _Loss is nn.modules.loss._Loss and torch.nn is tnn and torch.autograd.grad is autograd.grad
        import torch.linalg                        # a module under another file name
        assert torch.linalg.matmul is autograd.matmul and not hasattr(torch.linalg, "no_such")
        cudnn.benchmark = True                      # writes through to jitgrad's module
        assert autograd.backends.cudnn.benchmark is True and torch.backends.cudnn.benchmark
        torch.manual_seed(0)
        x = torch.randn(4, 3, device=torch.device("cpu"))
        assert isinstance(x, autograd.Tensor) and x.device.type == "cpu"
        assert torch.__version__.startswith("2.13.0+jitgrad")
        print(repr(torch), repr(tnn))
    """)
    assert "<module 'torch' (jitgrad: autograd)>" in out.stdout
    assert "<module 'torch.nn' (jitgrad: nn)>" in out.stdout


def test_missing_names_say_not_supported():
    out = python("""
        import autograd.compat; autograd.compat.install()
        import torch
        for probe in ("torch.no_such_function", "torch.nn.NoSuchLayer", "torch.optim.NoSuchOpt"):
            try:
                eval(probe)
            except AttributeError as e:
                print("ATTR", e)
        try:
            import torch.no_such_module
        except ModuleNotFoundError as e:
            print("MOD", e)
        print("HASATTR", hasattr(torch, "no_such_function"), hasattr(torch, "zeros"))
        try:
            import torchvision
        except ModuleNotFoundError as e:
            print("TV", e)
    """)
    lines = out.stdout.splitlines()
    assert "ATTR torch.no_such_function is not supported by jitgrad yet" in lines[0]
    assert "ATTR torch.nn.NoSuchLayer is not supported by jitgrad yet" in lines[1]
    assert "ATTR torch.optim.NoSuchOpt is not supported by jitgrad yet" in lines[2]
    assert "MOD torch.no_such_module is not supported by jitgrad yet" in lines[3]
    assert lines[4] == "HASATTR False True"
    assert "torchvision needs the real PyTorch" in lines[5] and "autograd.datasets" in lines[5]


def test_refuses_when_the_real_torch_is_imported():
    pytest.importorskip("torch")
    out = python("""
        import torch, autograd.compat
        try:
            autograd.compat.install()
        except RuntimeError as e:
            print(e)
    """)
    assert "the real PyTorch is already imported" in out.stdout


def test_never_shadows_the_installed_torch():
    pytest.importorskip("torch")
    out = python("""
        import sys, autograd.compat
        autograd.compat.install()
        import torch
        print(type(torch).__name__, getattr(torch, "__file__", None))
        autograd.compat.uninstall()
        del torch
        import torch
        print(type(torch).__name__, torch.__file__, torch.__version__)
    """)
    first, second = out.stdout.splitlines()
    assert first.startswith("TorchModule ") and str(ROOT) in first  # jitgrad's own files
    assert second.startswith("module ") and "site-packages" in second and "jitgrad" not in second


def test_runner_runs_a_script_as_main_with_its_arguments(tmp_path):
    (tmp_path / "helper.py").write_text("VALUE = 41\n")
    out = runner(
        tmp_path,
        """
        import sys
        import torch
        import helper                         # the script's folder is on sys.path
        if __name__ == "__main__":
            print(sys.argv[1:], helper.VALUE + 1, torch.cuda.is_available())
    """,
        "--lr",
        "0.1",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['--lr', '0.1'] 42 False"


def test_runner_module_mode_and_usage(tmp_path):
    (tmp_path / "mymod.py").write_text(
        "import sys, torch\nprint('module', sys.argv[1:], torch.zeros(1).tolist())\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "autograd.compat", "-m", "mymod", "x"],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        cwd=tmp_path,
    )
    assert out.stdout.strip() == "module ['x'] [0.0]", out.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "autograd.compat"],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )
    assert usage.returncode == 2 and "usage: python -m autograd.compat" in usage.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "autograd.compat", "nope.py"],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        cwd=tmp_path,
    )
    assert missing.returncode == 2 and "can't open file" in missing.stderr


def test_runner_error_for_a_missing_name_names_the_torch_api(tmp_path):
    out = runner(
        tmp_path,
        """
        import torch
        x = torch.zeros(3)
        y = torch.no_such_op(x)
    """,
    )
    assert out.returncode == 1
    assert "AttributeError: torch.no_such_op is not supported by jitgrad yet" in out.stderr
    out = runner(tmp_path, "from torch.nn import NoSuchLayer\n")
    assert "cannot import name 'NoSuchLayer' from 'torch.nn'" in out.stderr
    assert "jitgrad: torch.nn.NoSuchLayer is not supported by jitgrad yet" in out.stderr


def test_runner_dataloader_workers_see_torch(tmp_path):
    out = runner(
        tmp_path,
        """
        import torch
        from torch.utils.data import DataLoader, Dataset

        class Squares(Dataset):
            def __len__(self):
                return 8
            def __getitem__(self, i):
                return torch.tensor(float(i * i))

        if __name__ == "__main__":
            print([b.tolist() for b in DataLoader(Squares(), batch_size=4, num_workers=2)])
    """,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[[0.0, 1.0, 4.0, 9.0], [16.0, 25.0, 36.0, 49.0]]"
