"""nn.utils.rnn (pad/pack/unpack of variable-length sequences) and RNN/LSTM/GRU on packed
input: values, lengths, index bookkeeping and gradients against torch.nn.utils.rnn."""

import numpy as np
import pytest

import autograd
import nn
from nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)

LENGTHS = [2, 4, 1, 3]  # not sorted: exercises sorted_indices / unsorted_indices


def _seqs(rng, lengths=LENGTHS, feat=3):
    return [rng.normal(size=(n, feat)) for n in lengths]


def test_pad_and_pack_round_trip(rng):
    arrays = _seqs(rng)
    seqs = [autograd.tensor(a) for a in arrays]
    padded = pad_sequence(seqs)
    assert padded.shape == (4, 4, 3)
    np.testing.assert_array_equal(padded[:, 1].numpy(), arrays[1])
    assert (padded[2:, 0] == 0).all()
    packed = pack_sequence(seqs, enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [4, 3, 2, 1]
    assert packed.sorted_indices.tolist() == [1, 3, 0, 2]
    assert packed.unsorted_indices.tolist() == [2, 0, 3, 1]
    back, lengths = pad_packed_sequence(packed, batch_first=True, total_length=5)
    assert lengths.tolist() == LENGTHS and back.shape == (4, 5, 3)
    for a, u in zip(arrays, unpack_sequence(packed)):
        np.testing.assert_array_equal(u.numpy(), a)
    for a, u in zip(arrays, unpad_sequence(padded, lengths)):
        np.testing.assert_array_equal(u.numpy(), a)


def test_same_as_torch(rng):
    torch = pytest.importorskip("torch")
    from torch.nn.utils import rnn as trnn

    arrays = _seqs(rng)
    ours = [autograd.tensor(a) for a in arrays]
    theirs = [torch.tensor(a) for a in arrays]
    for kw in ({}, {"batch_first": True, "padding_value": -1.0}, {"padding_side": "left"}):
        np.testing.assert_array_equal(
            pad_sequence(ours, **kw).numpy(), trnn.pad_sequence(theirs, **kw).numpy()
        )
    o = pack_sequence(ours, enforce_sorted=False)
    t = trnn.pack_sequence(theirs, enforce_sorted=False)
    for f in PackedSequence._fields:
        np.testing.assert_array_equal(getattr(o, f).numpy(), getattr(t, f).numpy())
    sorted_arrays = sorted(arrays, key=len, reverse=True)
    o = pack_padded_sequence(
        pad_sequence([autograd.tensor(a) for a in sorted_arrays], True),
        [len(a) for a in sorted_arrays],
        batch_first=True,
    )
    t = trnn.pack_padded_sequence(
        trnn.pad_sequence([torch.tensor(a) for a in sorted_arrays], True),
        [len(a) for a in sorted_arrays],
        batch_first=True,
    )
    np.testing.assert_array_equal(o.data.numpy(), t.data.numpy())
    assert o.sorted_indices is None and t.sorted_indices is None


@pytest.mark.parametrize(
    "expr",
    [
        "pack_sequence([b, a])",
        "pack_padded_sequence(pad_sequence([a, b]), [2, 0])",
        "pack_padded_sequence(pad_sequence([a, b]), [2])",
        "pad_packed_sequence(pack_sequence([a, b]), total_length=1)",
        "pad_sequence([])",
        "pad_sequence([a, b], padding_side='middle')",
    ],
)
def test_errors_as_torch(expr):
    torch = pytest.importorskip("torch")
    from torch.nn.utils import rnn as trnn
    import nn.utils.rnn as ornn

    def run(mod, lib):
        a, b = lib.ones(2, 1), lib.ones(1, 1)
        with pytest.raises(Exception) as info:
            eval(expr, {**{n: getattr(mod, n) for n in ornn.__all__}, "a": a, "b": b})
        return info

    want, got = run(trnn, torch), run(ornn, autograd)
    assert isinstance(got.value, want.type)
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("mode", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_layers_on_packed_input_match_torch(rng, mode, bidirectional):
    torch = pytest.importorskip("torch")
    from torch.nn.utils import rnn as trnn

    kw = dict(
        input_size=3, hidden_size=5, num_layers=2, bidirectional=bidirectional, batch_first=True
    )
    ours, theirs = getattr(nn, mode)(**kw).double(), getattr(torch.nn, mode)(**kw).double()
    for name, p in theirs.named_parameters():
        getattr(ours, name).data = autograd.tensor(p.detach().numpy())
    arrays = _seqs(rng)
    o_in = [autograd.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    d = 2 if bidirectional else 1
    h0 = rng.normal(size=(2 * d, 4, 5))
    o_h0, t_h0 = autograd.tensor(h0), torch.tensor(h0)
    if mode == "LSTM":
        o_h0, t_h0 = (o_h0, o_h0 * 0.5), (t_h0, t_h0 * 0.5)
    o_out, o_h = ours(pack_sequence(o_in, enforce_sorted=False), o_h0)
    t_out, t_h = theirs(trnn.pack_sequence(t_in, enforce_sorted=False), t_h0)
    assert isinstance(o_out, PackedSequence)
    np.testing.assert_allclose(o_out.data.detach().numpy(), t_out.data.detach().numpy(), rtol=1e-10)
    assert o_out.batch_sizes.tolist() == t_out.batch_sizes.tolist()
    o_hs = o_h if mode == "LSTM" else (o_h,)
    t_hs = t_h if mode == "LSTM" else (t_h,)
    for a, b in zip(o_hs, t_hs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10)
    # gradients through packing, the masked recurrence and unpacking
    w = rng.normal(size=tuple(t_out.data.shape))
    o_loss = (o_out.data * autograd.tensor(w)).sum() + sum((h * h).sum() for h in o_hs)
    t_loss = (t_out.data * torch.tensor(w)).sum() + sum((h * h).sum() for h in t_hs)
    o_loss.backward()
    t_loss.backward()
    for a, b in zip(o_in, t_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-12)
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(
            getattr(ours, name).grad.numpy(), p.grad.numpy(), rtol=1e-8, atol=1e-12
        )


def test_packed_to_and_padding_stays_out_of_the_final_state(rng):
    lstm = nn.LSTM(3, 4)
    seqs = [autograd.tensor(a, dtype=autograd.float32) for a in _seqs(rng)]
    packed = pack_sequence(seqs, enforce_sorted=False)
    assert packed.to(autograd.float64).data.dtype == autograd.float64
    _, (h, _) = lstm(packed)
    for i, s in enumerate(seqs):  # each sequence alone gives the same final state
        _, (h_alone, _) = lstm(s.unsqueeze(1))
        np.testing.assert_allclose(
            h[:, i].detach().numpy(), h_alone[:, 0].detach().numpy(), rtol=1e-5, atol=1e-6
        )
