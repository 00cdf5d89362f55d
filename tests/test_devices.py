"""Devices as a CPU-only build of PyTorch has them: autograd.device, device= on factories,
Tensor.to / Module.to, autograd.cuda / accelerator / mps / backends.

The table below is run twice, once on torch 2.13 (CPU build) and once on jitgrad, and each
case must end the same way: an equal result, or the same exception type with torch's
message at the start of ours (we append a hint).
"""

import doctest
import inspect
import warnings

import pytest

import autograd
import nn

CASES = [
    # autograd.device
    "torch.device('cpu')",
    "torch.device('cuda')",
    "torch.device('cuda:1')",
    "torch.device('cuda', 1)",
    "str(torch.device('cuda', 1))",
    "torch.device('cpu').type",
    "torch.device('cpu').index",
    "torch.device('cpu', 0)",
    "torch.device(type='cpu', index=0)",
    "torch.device('cpu') == 'cpu'",
    "torch.device('cpu') == torch.device('cpu')",
    "torch.device('cpu:0') == torch.device('cpu')",
    "torch.device('cpu') != torch.device('cuda')",
    "hash(torch.device('cpu')) == hash(torch.device('cpu'))",
    "torch.device(torch.device('cpu'))",
    "torch.device('mps')",
    "torch.device('meta')",
    "torch.device('foo')",
    "torch.device('CPU')",
    "torch.device('cpu ')",
    "torch.device('cuda:x')",
    "torch.device('cuda:-1')",
    "torch.device('cuda:01')",
    "torch.device(':1')",
    "torch.device(0)",
    "torch.device('cpu', -1)",
    "torch.device('cuda:1', 0)",
    "torch.device('cpu', 1.5)",
    # tensors' devices
    "torch.zeros(2).device",
    "str(torch.zeros(2).device)",
    "torch.zeros(2).device == 'cpu'",
    "torch.zeros(2).device.type == 'cpu'",
    "torch.zeros(2).is_cuda",
    "torch.zeros(2).is_cpu",
    "torch.zeros(2).get_device()",
    "torch.zeros(2).is_pinned()",
    "torch.zeros(2).pin_memory()",
    # factories
    "torch.zeros(2, device='cpu')",
    "torch.zeros(2, device='cpu:0')",
    "torch.zeros(2, device='cpu:1')",
    "torch.zeros(2, device=torch.device('cpu', 0)).device",
    "torch.zeros(2, device=None)",
    "torch.zeros(2, device='cuda')",
    "torch.zeros(2, device='cuda:0')",
    "torch.zeros(2, device=0)",
    "torch.zeros(2, device='mps')",
    "torch.zeros(2, device='xla')",
    "torch.zeros(2, device='xpu')",
    "torch.zeros(2, device='foo')",
    "torch.zeros(2, device=1.5)",
    "torch.zeros(2, pin_memory=True)",
    "torch.tensor([1.], device='cuda')",
    "torch.ones(2, device='cuda')",
    "torch.empty(2, device='cuda')",
    "torch.full((2,), 1.0, device='cuda')",
    "torch.arange(3, device='cuda')",
    "torch.linspace(0, 1, 3, device='cuda')",
    "torch.eye(2, device='cuda')",
    "torch.rand(2, device='cuda')",
    "torch.randn(2, device='cuda')",
    "torch.randint(0, 3, (2,), device='cuda')",
    "torch.randperm(3, device='cuda')",
    "torch.zeros_like(torch.zeros(2), device='cuda')",
    "torch.ones_like(torch.zeros(2), device='cpu')",
    "torch.zeros(2).new_zeros(2, device='cuda')",
    "torch.zeros(2).new_tensor([1.], device='cpu')",
    "torch.normal(0., 1., (2,), device='cuda')",
    # Tensor.to / cpu / cuda
    "torch.zeros(2).to('cpu')",
    "torch.zeros(2).to('cpu', non_blocking=True)",
    "torch.zeros(2).to(torch.float64)",
    "torch.zeros(2).to('cpu', torch.float64)",
    "torch.zeros(2).to(torch.zeros(1, dtype=torch.int64))",
    "torch.zeros(2).to(device='cpu', dtype=torch.float64, copy=True)",
    "torch.zeros(2).to(torch.device('cpu', 0), torch.float64)",
    "torch.zeros(2).to()",
    "torch.zeros(2).to(None)",
    "torch.zeros(2).to(device=None)",
    "torch.zeros(2).to(dtype=None)",
    "torch.zeros(2).to(torch.zeros(1), non_blocking=True, copy=True).dtype",
    "torch.zeros(2).to(torch.float32, non_blocking=True, copy=True)",
    "torch.zeros(2).to('cuda')",
    "torch.zeros(2).to('cuda:0', non_blocking=True)",
    "torch.zeros(2).to(device='cuda')",
    "torch.zeros(2).to(torch.device('cuda'))",
    "torch.zeros(2).to('cuda', torch.float64)",
    "torch.zeros(2).to(1)",
    "torch.zeros(2).to(device=0)",
    "torch.zeros(2).to('mps')",
    "torch.zeros(2).to('xla')",
    "torch.zeros(2).to('xpu')",
    "torch.zeros(2).to('float32')",
    "torch.zeros(2).to(dtype='float')",
    "torch.zeros(2).to(torch.float32, torch.float64)",
    "torch.zeros(2).to('cpu', 'cpu')",
    "torch.zeros(2).to(foo=1)",
    "torch.zeros(2).to(other=torch.zeros(1))",
    "torch.zeros(2).to(torch.zeros(1), torch.float64)",
    "torch.zeros(2).cpu()",
    "torch.zeros(2).cuda()",
    "torch.zeros(2).cuda(0)",
    "torch.zeros(2, requires_grad=True).to('cpu').grad_fn",
    "torch.zeros(2, requires_grad=True).cpu().grad_fn",
    # Module.to / cpu / cuda
    "nn.Linear(2, 2).to('cpu')",
    "nn.Linear(2, 2).to(torch.float64).weight.dtype",
    "nn.Linear(2, 2).to('cpu', torch.float64).weight.dtype",
    "nn.Linear(2, 2).to(torch.zeros(1, dtype=torch.float64)).weight.dtype",
    "nn.Linear(2, 2).to(torch.int64)",
    "nn.Linear(2, 2).cuda()",
    "nn.Linear(2, 2).to('cuda')",
    "nn.Linear(2, 2).to(torch.device('cuda:0'))",
    "nn.Linear(2, 2).to('cuda', torch.float16)",
    "nn.Linear(2, 2).to(1)",
    "nn.Linear(2, 2).to('foo')",
    "nn.Linear(2, 2).to(x=1)",
    "nn.Linear(2, 2).to()",
    "nn.Linear(2, 2).to('cpu', 'cpu')",
    "nn.Linear(2, 2).double().weight.dtype",
    "nn.Linear(2, 2, device='cpu').weight.device",
    "nn.Linear(2, 2, device='cuda')",
    "nn.Bilinear(2, 2, 2, device='cuda')",
    "nn.Conv2d(1, 1, 3, device='cuda')",
    "nn.LSTM(2, 2, device='cuda')",
    "nn.GRUCell(2, 2, device='cuda')",
    "nn.Embedding(3, 2, device='cuda')",
    "nn.LayerNorm(2, device='cuda')",
    "nn.BatchNorm1d(2, device='cuda')",
    "nn.GroupNorm(1, 2, device='cuda')",
    "nn.PReLU(device='cuda')",
    "nn.MultiheadAttention(4, 2, device='cuda')",
    # default device
    "torch.get_default_device()",
    "torch.set_default_device('cpu')",
    "torch.set_default_device('cpu') or torch.get_default_device()",
    "torch.set_default_device('cuda') or torch.zeros(2)",
    "torch.set_default_device(None) or torch.zeros(2)",
    "torch.set_default_device(None) or torch.get_default_device()",
    # torch.cuda
    "torch.cuda.is_available()",
    "torch.cuda.device_count()",
    "torch.cuda.manual_seed(1)",
    "torch.cuda.manual_seed_all(1)",
    "torch.cuda.manual_seed(2**70)",
    "torch.cuda.manual_seed('a')",
    "torch.cuda.seed()",
    "torch.cuda.seed_all()",
    "torch.cuda.is_initialized()",
    "torch.cuda.empty_cache()",
    "torch.cuda.memory_allocated()",
    "torch.cuda.max_memory_allocated()",
    "torch.cuda.memory_reserved()",
    "torch.cuda.max_memory_reserved()",
    "torch.cuda.is_bf16_supported()",
    "torch.cuda.get_arch_list()",
    "torch.cuda.get_rng_state_all()",
    "torch.cuda.memory_stats()",
    "torch.cuda.synchronize()",
    "torch.cuda.current_device()",
    "torch.cuda.get_device_name()",
    "torch.cuda.get_device_name(0)",
    "torch.cuda.get_device_properties(0)",
    "torch.cuda.get_device_capability()",
    "torch.cuda.initial_seed()",
    "torch.cuda.get_rng_state()",
    "torch.cuda.mem_get_info()",
    "torch.cuda.init()",
    "torch.cuda.current_stream()",
    "torch.cuda.Stream()",
    "torch.cuda.Event()",
    "torch.cuda.amp.GradScaler().is_enabled()",
    "torch.cuda.amp.GradScaler(enabled=False).is_enabled()",
    "torch.cuda.amp.autocast().__enter__() is None",
    # torch.accelerator, torch.mps, torch.backends
    "torch.accelerator.is_available()",
    "torch.accelerator.current_accelerator()",
    "torch.accelerator.current_accelerator(check_available=True)",
    "torch.accelerator.device_count()",
    "torch.accelerator.synchronize()",
    "torch.accelerator.current_device_index()",
    "torch.accelerator.set_device_index(0)",
    "torch.accelerator.empty_cache()",
    "torch.accelerator.memory_allocated()",
    "torch.accelerator.device_index(None).__enter__()",
    "torch.accelerator.device_index(0).__enter__()",
    "torch.mps.is_available()",
    "torch.mps.device_count()",
    "torch.mps.manual_seed(0)",
    "torch.mps.synchronize()",
    "torch.mps.empty_cache()",
    "torch.mps.seed()",
    "torch.backends.mps.is_available()",
    "torch.backends.mps.is_built()",
    "torch.backends.cudnn.benchmark",
    "torch.backends.cudnn.deterministic",
    "torch.backends.cudnn.enabled",
    "torch.backends.cudnn.is_available()",
    "torch.backends.cudnn.version()",
    "torch.backends.cudnn.allow_tf32",
    "torch.backends.cuda.matmul.allow_tf32",
    "torch.backends.cuda.is_built()",
    "torch.backends.cuda.flash_sdp_enabled()",
    "torch.backends.cuda.matmul.foo",
]


def _run(expr, ns):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (torch.cuda.amp's deprecation warnings)
            return "ok", eval(expr, dict(ns))
    except Exception as e:  # the exception is the result being compared
        return "error", e


def _norm(value) -> str:
    return repr(value).replace("torch.", "autograd.")


@pytest.mark.parametrize("expr", CASES)
def test_same_as_torch_cpu_build(expr):
    torch = pytest.importorskip("torch")
    try:
        want_kind, want = _run(expr, {"torch": torch, "nn": torch.nn})
        got_kind, got = _run(expr, {"torch": autograd, "nn": nn})
    finally:
        torch.set_default_device(None)
        autograd.set_default_device(None)
    if want_kind == "ok":
        assert got_kind == "ok", f"torch returned {want!r}, we raised {got!r}"
        assert _norm(got) == _norm(want)
    else:
        assert got_kind == "error", f"torch raised {want!r}, we returned {got!r}"
        assert isinstance(got, type(want)), (type(got), type(want))
        # torch's message opens ours (we may add a hint); the dispatcher's long list of
        # backends is left out
        expected = _norm(str(want).split(" This could be because")[0])[1:-1]
        assert _norm(str(got))[1:-1].startswith(expected), (str(got), expected)


def test_device_boilerplate_runs_on_cpu():
    device = autograd.device("cuda" if autograd.cuda.is_available() else "cpu")
    model = nn.Linear(3, 2).to(device)
    x = autograd.randn(4, 3).to(device, non_blocking=True)
    assert model(x).device == device == autograd.device("cpu")
    assert autograd.zeros(2).to(device) is not None


def test_to_returns_self_unless_something_changes():
    x = autograd.zeros(2)
    assert x.to("cpu") is x and x.to(autograd.float32) is x and x.cpu() is x
    y = x.to("cpu", copy=True)
    assert y is not x and y.dtype == x.dtype
    z = x.to(autograd.float64)
    assert z.dtype == autograd.float64
    m = nn.Linear(2, 2)
    assert m.to("cpu") is m and m.cpu() is m


def test_cuda_errors_are_assertion_and_runtime_errors():
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        autograd.zeros(2).cuda()
    with pytest.raises(RuntimeError, match="jitgrad runs on the CPU only"):
        autograd.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
        autograd.device(0)


def test_default_device_context_manager():
    with autograd.device("cpu"):
        assert autograd.zeros(1).device.type == "cpu"
    with pytest.raises(AssertionError):
        with autograd.device("cuda"):
            autograd.zeros(1)
    assert autograd.get_default_device() == autograd.device("cpu")
    assert autograd.zeros(1) is not None  # the default was restored


def test_backend_flags_are_settable():
    import autograd.backends.cudnn as cudnn

    cudnn.benchmark, cudnn.deterministic = True, True
    try:
        assert autograd.backends.cudnn.benchmark and autograd.backends.cudnn.deterministic
        with autograd.backends.cudnn.flags(enabled=False):
            assert not cudnn.enabled
        assert cudnn.enabled
    finally:
        cudnn.benchmark, cudnn.deterministic = False, False
    autograd.backends.cuda.matmul.allow_tf32 = True
    autograd.backends.cuda.matmul.allow_tf32 = False
    with pytest.raises(AttributeError, match="Unknown attribute"):
        autograd.backends.cuda.matmul.allow_tf23 = True


def _factories():
    from autograd import factories

    # from_numpy and frombuffer share the memory they are given, so torch gives them no device=
    # (torch.frombuffer(..., device="cpu") is a TypeError); we match torch's signatures
    return [
        getattr(autograd, n) for n in factories.__all__ if n not in ("from_numpy", "frombuffer")
    ] + [autograd.normal]


@pytest.mark.parametrize("fn", _factories(), ids=lambda f: f.__name__)
def test_every_factory_takes_device(fn):
    assert "device" in inspect.signature(fn).parameters


def _torch_modules_with_device():
    torch = pytest.importorskip("torch")
    out = []
    for name in sorted(dir(nn)):
        ours, theirs = getattr(nn, name), getattr(torch.nn, name, None)
        if not (
            isinstance(ours, type) and issubclass(ours, nn.Module) and isinstance(theirs, type)
        ):
            continue
        try:
            params = inspect.signature(ours.__init__).parameters.values()
            if "device" in inspect.signature(theirs.__init__).parameters and not any(
                p.kind is p.VAR_POSITIONAL for p in params
            ):  # (not stubs taking *args)
                out.append(name)
        except (TypeError, ValueError):
            continue
    return out


def test_every_layer_takes_device_where_torch_does():
    missing = [
        n
        for n in _torch_modules_with_device()
        if "device" not in inspect.signature(getattr(nn, n).__init__).parameters
    ]
    assert not missing, f"layers without device=: {missing}"


@pytest.mark.parametrize(
    "module", ["devices", "cuda", "cuda.amp", "accelerator", "mps", "backends"]
)
def test_docstring_examples(module):
    import importlib

    mod = importlib.import_module(f"autograd.{module}")
    result = doctest.testmod(
        mod, extraglobs={"autograd": autograd, "nn": nn}, optionflags=doctest.ELLIPSIS
    )
    assert result.failed == 0
