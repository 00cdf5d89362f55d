"""nn.Module machinery: registration order, iteration, state_dict, load_state_dict reports,
modes, dtype conversion, hooks, repr, containers, Parameter, module scopes for viz."""

import copy

import numpy as np
import pytest

import autograd
import nn
from autograd.function import current_scope


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.register_buffer("steps", autograd.zeros(()))
        self.register_buffer("scratch", autograd.zeros(2), persistent=False)
        self.scale = nn.Parameter(autograd.ones(1))
        self.seq = nn.Sequential(nn.ReLU(), nn.Linear(3, 2))

    def forward(self, x):
        return self.seq(self.fc1(x)) * self.scale


def test_registration_order_and_names():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale",
        "fc1.weight",
        "fc1.bias",
        "seq.1.weight",
        "seq.1.bias",
    ]
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch"]
    assert list(net.state_dict()) == [
        "scale",
        "steps",
        "fc1.weight",
        "fc1.bias",
        "seq.1.weight",
        "seq.1.bias",
    ]
    assert [n for n, _ in net.named_children()] == ["fc1", "seq"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "seq", "seq.0", "seq.1"]
    assert len(list(net.modules())) == 5
    assert net.get_submodule("seq.1") is net.seq[1]
    assert net.get_parameter("seq.1.bias") is net.seq[1].bias


def test_state_dict_keys_match_torch():
    torch = pytest.importorskip("torch")

    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(4, 3)
            self.register_buffer("steps", torch.zeros(()))
            self.register_buffer("scratch", torch.zeros(2), persistent=False)
            self.scale = torch.nn.Parameter(torch.ones(1))
            self.seq = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 2))

    ours, theirs = Net(), TNet()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours).replace("Net", "TNet", 1) == repr(theirs)


def test_shared_parameters_counted_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert repr(seq.load_state_dict(seq.state_dict())) == "<All keys matched successfully>"


def test_state_dict_shares_memory_and_is_detached():
    lin = nn.Linear(2, 2)
    sd = lin.state_dict()
    assert not sd["weight"].requires_grad
    sd["weight"]._data[0, 0] = 42.0
    assert lin.weight._data[0, 0] == 42.0
    assert lin.state_dict(keep_vars=True)["weight"] is lin.weight


def test_load_state_dict_reports_like_torch():
    lin = nn.Linear(2, 3)
    with pytest.raises(RuntimeError) as e:
        lin.load_state_dict({"weight": autograd.zeros(4, 4), "bias": autograd.zeros(3)})
    assert str(e.value) == (
        "Error(s) in loading state_dict for Linear:\n\tsize mismatch for weight: copying a param with "
        "shape autograd.Size([4, 4]) from checkpoint, the shape in current model is "
        "autograd.Size([3, 2])."
    )
    with pytest.raises(RuntimeError) as e:
        lin.load_state_dict({"weight": autograd.zeros(3, 2), "extra": autograd.zeros(1)})
    assert str(e.value) == (
        "Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "
        '"bias". \n\tUnexpected key(s) in state_dict: "extra". '
    )
    assert isinstance(e.value, autograd.CheckpointError)
    res = lin.load_state_dict(
        {"weight": autograd.zeros(3, 2), "extra": autograd.zeros(1)}, strict=False
    )
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["extra"]
    assert np.all(lin.weight.detach().numpy() == 0)
    assert repr(lin.load_state_dict(lin.state_dict())) == "<All keys matched successfully>"


def test_torch_error_text_for_size_mismatch_matches_modulo_size_repr():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as te:
        torch.nn.Linear(2, 3).load_state_dict({"weight": torch.zeros(4, 4), "bias": torch.zeros(3)})
    with pytest.raises(RuntimeError) as oe:
        nn.Linear(2, 3).load_state_dict({"weight": autograd.zeros(4, 4), "bias": autograd.zeros(3)})
    assert str(oe.value).replace("autograd.Size", "torch.Size") == str(te.value)
    with pytest.raises(RuntimeError) as te:
        torch.nn.Linear(2, 3).load_state_dict(
            {"weight": torch.zeros(3, 2), "extra": torch.zeros(1)}
        )
    with pytest.raises(RuntimeError) as oe:
        nn.Linear(2, 3).load_state_dict(
            {"weight": autograd.zeros(3, 2), "extra": autograd.zeros(1)}
        )
    assert str(oe.value) == str(te.value)


def test_load_state_dict_is_all_or_nothing():
    net = Net()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    bad = {k: autograd.zeros(*v.shape) for k, v in net.state_dict().items()}
    bad["seq.1.bias"] = autograd.zeros(7)  # the last key is wrong: nothing may change
    with pytest.raises(autograd.CheckpointError, match="size mismatch for seq.1.bias"):
        net.load_state_dict(bad)
    for k, v in net.state_dict().items():
        assert np.array_equal(v.numpy(), before[k]), k
    bad = {k: autograd.zeros(*v.shape, dtype=autograd.float64) for k, v in net.state_dict().items()}
    with pytest.raises(autograd.CheckpointError, match="dtype mismatch for scale"):
        net.load_state_dict(bad)
    for k, v in net.state_dict().items():
        assert np.array_equal(v.numpy(), before[k]), k
    with pytest.raises(autograd.CheckpointError, match="expected autograd.Tensor"):
        nn.Linear(1, 1).load_state_dict({"weight": "oops", "bias": autograd.zeros(1)})


def test_load_state_dict_copies_in_place():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    w = b.weight
    b.load_state_dict(a.state_dict())
    assert b.weight is w
    assert np.array_equal(b.weight.detach().numpy(), a.weight.detach().numpy())
    a.weight._data[0, 0] = 5.0
    assert b.weight._data[0, 0] != 5.0  # copied, not aliased


def test_missing_forward_message():
    class NoForward(nn.Module):
        pass

    with pytest.raises(
        NotImplementedError,
        match=r'^Module \[NoForward\] is missing the required "forward" function$',
    ):
        NoForward()(autograd.zeros(1))


def test_train_eval_zero_grad_requires_grad_apply():
    net = Net()
    assert net.training and net.seq[1].training
    assert net.eval() is net
    assert not net.training and not net.seq[1].training
    net.train()
    assert net.seq[1].training
    net(autograd.ones(2, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "Net"]


def test_to_double_keeps_objects_and_int_buffers():
    bn = nn.BatchNorm1d(3)
    w = bn.weight
    assert bn.double() is bn
    assert bn.weight is w and bn.weight.dtype == autograd.float64
    assert bn.running_mean.dtype == autograd.float64
    assert bn.num_batches_tracked.dtype == autograd.int64
    bn.float()
    assert bn.weight.dtype == autograd.float32
    assert bn.to(autograd.float64).weight.dtype == autograd.float64
    with pytest.raises(RuntimeError, match="CPU only"):
        bn.to("cuda")


def test_attribute_semantics():
    m = nn.Module()
    m.w = nn.Parameter(autograd.zeros(1))
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = autograd.zeros(1)
    m.w = None
    assert m.w is None and "w" in m._parameters
    del m.w
    assert "w" not in m._parameters
    m.buf = nn.Buffer(autograd.zeros(2))
    assert [n for n, _ in m.named_buffers()] == ["buf"]
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        m.nope
    with pytest.raises(KeyError):
        m.register_parameter("a.b", None)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(autograd.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    y = lin(autograd.ones(3, 2))
    assert calls == [(3, 2)]
    np.testing.assert_allclose(
        y.detach().numpy(), np.broadcast_to(lin.bias.detach().numpy() + 1, (3, 2)), rtol=1e-6
    )
    h1.remove()
    h2.remove()
    assert lin(autograd.zeros(1, 2)).shape == (1, 2) and len(calls) == 1
    order = []
    lin.register_forward_hook(lambda m, a, o: order.append("b"))
    lin.register_forward_hook(lambda m, a, o: order.append("a"), prepend=True)
    lin.register_forward_pre_hook(lambda m, a, k: order.append(sorted(k)), with_kwargs=True)
    lin(autograd.zeros(1, 2))
    assert order == [[], "a", "b"]


def test_full_backward_hook_sees_and_replaces_grads():
    lin = nn.Linear(3, 2, bias=False)
    seen = {}

    def hook(module, grad_input, grad_output):
        seen["gi"] = grad_input[0].numpy().copy()
        seen["go"] = grad_output[0].numpy().copy()
        return (grad_input[0] * 0,)

    lin.register_full_backward_hook(hook)
    x = autograd.ones(4, 3, requires_grad=True)
    lin(x).sum().backward()
    np.testing.assert_allclose(seen["go"], np.ones((4, 2)))
    np.testing.assert_allclose(seen["gi"], np.ones((4, 2)) @ lin.weight.detach().numpy(), rtol=1e-6)
    assert np.all(x.grad.numpy() == 0)  # replaced
    np.testing.assert_allclose(lin.weight.grad.numpy(), np.full((2, 3), 4.0))  # unaffected
    # input that does not require grad: grad_input is (None,), grad_output still seen
    got = []
    lin2 = nn.Linear(3, 2)
    lin2.register_full_backward_hook(lambda m, gi, go: got.append((gi, go[0].shape)))
    lin2(autograd.ones(2, 3)).sum().backward()
    assert got == [((None,), (2, 2))]


def test_repr_nested_like_torch():
    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (fc1): Linear(in_features=4, out_features=3, bias=True)\n"
        "  (seq): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Linear(in_features=3, out_features=2, bias=True)\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2, inplace=False)"
    assert repr(nn.Module()) == "Module()"


def test_reprs_match_torch():
    torch = pytest.importorskip("torch")
    pairs = [
        (nn.Linear(2, 3, bias=False), torch.nn.Linear(2, 3, bias=False)),
        (nn.Bilinear(2, 3, 4), torch.nn.Bilinear(2, 3, 4)),
        (nn.BatchNorm2d(4), torch.nn.BatchNorm2d(4)),
        (nn.LayerNorm(4), torch.nn.LayerNorm(4)),
        (nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)),
        (nn.RMSNorm(4), torch.nn.RMSNorm(4)),
        (nn.Embedding(5, 2, padding_idx=0), torch.nn.Embedding(5, 2, padding_idx=0)),
        (nn.Dropout2d(), torch.nn.Dropout2d()),
        (nn.Flatten(), torch.nn.Flatten()),
        (nn.Unflatten(1, (2, 3)), torch.nn.Unflatten(1, (2, 3))),
        (nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)),
        (nn.LeakyReLU(), torch.nn.LeakyReLU()),
        (nn.ELU(), torch.nn.ELU()),
        (nn.GELU("tanh"), torch.nn.GELU("tanh")),
        (nn.SiLU(), torch.nn.SiLU()),
        (nn.Softplus(), torch.nn.Softplus()),
        (nn.Softmax(1), torch.nn.Softmax(1)),
        (nn.LogSoftmax(-1), torch.nn.LogSoftmax(-1)),
        (nn.Hardtanh(), torch.nn.Hardtanh()),
        (nn.Identity(), torch.nn.Identity()),
        (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()),
        (
            nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.Tanh())),
            torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sequential(torch.nn.Tanh())),
        ),
        (nn.ModuleDict({"a": nn.ReLU()}), torch.nn.ModuleDict({"a": torch.nn.ReLU()})),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    seq.append(nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[1] is seq[2]
    assert seq(autograd.ones(4, 2)).shape == (4, 1)
    del seq[1]
    assert list(seq._modules) == ["0", "1"]
    from collections import OrderedDict

    named = nn.Sequential(OrderedDict([("enc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(named.state_dict()) == ["enc.weight", "enc.bias"]
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.Linear(1, 1))
    ml += [nn.Tanh()]
    assert len(ml) == 3 and len(list(ml.parameters())) == 4
    assert [type(m).__name__ for m in ml] == ["Linear", "Linear", "Tanh"]
    md = nn.ModuleDict({"a": nn.Linear(1, 2)})
    md["b"] = nn.ReLU()
    assert list(md.keys()) == ["a", "b"] and "a" in md and len(md) == 2
    pl = nn.ParameterList([nn.Parameter(autograd.zeros(2)), autograd.ones(3)])
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    assert isinstance(pl[1], nn.Parameter) and pl[1].requires_grad
    pd = nn.ParameterDict({"x": autograd.zeros(1)})
    assert [n for n, _ in pd.named_parameters()] == ["x"]


def test_parameter_basics():
    data = autograd.zeros(2, 2)
    p = nn.Parameter(data)
    assert p.requires_grad and p.is_leaf and isinstance(p, autograd.Tensor)
    assert p._data is data._data  # shares memory like torch
    assert (
        repr(p)
        == "Parameter containing:\ntensor([[0., 0.],\n        [0., 0.]], requires_grad=True)"
    )
    assert not nn.Parameter(autograd.zeros(1), requires_grad=False).requires_grad
    q = p * 2
    assert type(q) is autograd.Tensor
    c = copy.deepcopy(nn.Linear(2, 2))
    assert isinstance(c.weight, nn.Parameter)
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(autograd.tensor([1, 2]))


def test_module_scope_paths_for_viz():
    paths = []

    class Probe(nn.Module):
        def forward(self, x):
            paths.append(str(current_scope()))
            return x

    class Enc(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(Probe(), nn.Linear(2, 2))

        def forward(self, x):
            return self.encoder(x)

    model = Enc()
    y = model(autograd.ones(1, 2, requires_grad=True))
    assert paths == ["encoder.0"]
    node = y.grad_fn
    # the Linear's last node was created inside "encoder.1"
    assert str(node.module_path) == "encoder.1"
    assert node.module_path.module is model.encoder[1]
    assert node.module_path.type_name == "Linear"
    assert current_scope() is None  # popped after the call
    assert str(nn.Linear(2, 2)(autograd.ones(1, 2)).grad_fn.module_path) == "Linear"


def test_bad_child_names_are_refused_with_torchs_messages():
    torch = pytest.importorskip("torch")
    cases = [
        lambda lib, m: m.add_module("a.b", lib.nn.ReLU()),
        lambda lib, m: m.add_module("", lib.nn.ReLU()),
        lambda lib, m: m.register_buffer("a.b", None),
        lambda lib, m: m.register_parameter("a.b", None),
        lambda lib, m: m.add_module(3, None),
    ]
    import types

    ours = types.SimpleNamespace(nn=nn)
    for case in cases:
        messages = []
        for lib in (ours, torch):
            with pytest.raises((KeyError, TypeError)) as info:
                case(lib, lib.nn.Module())
            messages.append((type(info.value).__name__, str(info.value)))
        assert messages[0] == messages[1]


def test_zero_grad_without_set_to_none_zeroes_the_same_tensor_like_torch():
    # Module.zero_grad(set_to_none=False) put a new zeros tensor in .grad: a reference to the
    # old gradient kept its values (torch zeroes the gradient tensor itself)
    torch = pytest.importorskip("torch")
    got = []
    for lib, N in ((autograd, nn), (torch, torch.nn)):
        m = N.Linear(2, 1)
        m(lib.ones(1, 2)).sum().backward()
        g = m.weight.grad
        m.zero_grad(set_to_none=False)
        got.append((g is m.weight.grad, g.tolist()))
    assert got[0] == got[1] == (True, [[0.0, 0.0]])
