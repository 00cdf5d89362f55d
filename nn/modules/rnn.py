"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their single-step ``*Cell`` forms.

Everything a PyTorch user relies on is the same as ``torch.nn``: parameter names
(``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, ``..._reverse`` for the
backward direction), their shapes and order in ``state_dict``, the gate order inside the
stacked weights (LSTM: input, forget, cell, output; GRU: reset, update, new), default
initialisation U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), and the return values
``(output, h_n)`` / ``(output, (h_n, c_n))``.

Each layer and direction is one fused primitive over the whole sequence
(``autograd.rnn_tanh_layer`` / ``rnn_relu_layer`` / ``gru_layer`` / ``lstm_layer``, see
autograd/ops/rnn.py): one graph node instead of a dozen per time step, the gate maths of a
step in one Numba kernel (numba backend) or NumPy (the reference), the matrix products on
BLAS. The cells call the same primitives on one step (``autograd.gru_cell`` ...). Packed
sequences run one primitive per stretch of steps with the same number of running
sequences. Only an LSTM with ``proj_size > 0`` is still unrolled into ordinary
differentiable ops.

Example:
    >>> lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True)
    >>> out, (h, c) = lstm(autograd.randn(3, 5, 10))      # batch 3, 5 steps
    >>> out.shape, h.shape, c.shape
    (autograd.Size([3, 5, 20]), autograd.Size([2, 3, 20]), autograd.Size([2, 3, 20]))
"""

from __future__ import annotations

import math
import numbers
import warnings

import autograd

from .. import functional, init
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, pad_packed_sequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


# ---- the projected LSTM (proj_size > 0), the one case without a fused primitive -------------
# ``gi`` is the input projection x @ W_ih^T + b_ih of one step.


def _linear(x, weight, bias):
    # F.linear (x @ W^T + b), so that under autocast the whole projection runs in the low
    # dtype, as torch's fused RNN kernels do
    return functional.linear(x, weight, bias)


def _lstm_proj_step(gi, state, w_hh, b_hh, w_hr):
    """c' = f*c + i*g, h' = (o*tanh(c')) @ W_hr^T, with gates [i, f, g, o] stacked in that order."""
    h, c = state
    gates = gi + _linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, -1)
    c_new = autograd.sigmoid(f) * c + autograd.sigmoid(i) * autograd.tanh(g)
    h_new = autograd.matmul(autograd.sigmoid(o) * autograd.tanh(c_new), w_hr.t())
    return h_new, c_new


_LAYERS = {
    "RNN_TANH": autograd.rnn_tanh_layer,
    "RNN_RELU": autograd.rnn_relu_layer,
    "GRU": autograd.gru_layer,
}
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """Shared machinery of RNN / LSTM / GRU: parameters, checks, the layer/direction loop."""

    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + str(mode))
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the "
                "probability of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so "
                "non-zero dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(
                f"batch_first should be of type bool, got: {type(batch_first).__name__}"
            )
        if not isinstance(input_size, int) or isinstance(input_size, bool):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")

        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden_size = proj_size if proj_size > 0 else hidden_size

        # Registration order = torch's state_dict order: per layer, per direction,
        # weight_ih, weight_hh, bias_ih, bias_hh (, weight_hr).
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
            for direction in range(num_directions):
                suffix = "_reverse" if direction == 1 else ""
                shapes = {
                    f"weight_ih_l{layer}{suffix}": (gate_size, layer_input_size),
                    f"weight_hh_l{layer}{suffix}": (gate_size, real_hidden_size),
                }
                if bias:
                    shapes[f"bias_ih_l{layer}{suffix}"] = (gate_size,)
                    shapes[f"bias_hh_l{layer}{suffix}"] = (gate_size,)
                if proj_size > 0:
                    shapes[f"weight_hr_l{layer}{suffix}"] = (proj_size, hidden_size)
                for name, shape in shapes.items():
                    setattr(
                        self, name, Parameter(autograd.empty(shape, dtype=dtype, device=device))
                    )
                self._flat_weights_names.extend(shapes)
                self._all_weights.append(list(shapes))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) for every weight and bias (torch's default)."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def all_weights(self):
        """Parameters grouped per layer and direction: ``[[w_ih, w_hh, b_ih, b_hh], ...]``."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """No-op (cuDNN weight packing does not exist here); kept so torch code runs."""

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ---- forward ---------------------------------------------------------------------
    @property
    def _kind(self):
        return "RNN" if self.mode.startswith("RNN") else self.mode

    def _check_input(self, input):
        if not isinstance(input, autograd.Tensor):
            raise TypeError(f"{self._kind}: input must be a Tensor, got {type(input).__name__}")
        if input.dim() not in (2, 3):
            raise ValueError(
                f"{self._kind}: Expected input to be 2D or 3D, got {input.dim()}D tensor instead"
            )
        wdtype = self.weight_ih_l0.dtype
        if input.dtype != wdtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype "
                f"({wdtype}). Convert input: input.to({wdtype}), or convert model: "
                f"model.to({input.dtype})"
            )
        if input.size(-1) != self.input_size:
            raise RuntimeError(
                "input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.size(-1)}"
            )

    def _check_hidden(self, hx, expected, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != expected:
            raise RuntimeError(msg.format(expected, list(hx.shape)))

    def _layer_weights(self, layer, direction):
        names = self._all_weights[layer * (2 if self.bidirectional else 1) + direction]
        w = {n.split("_l")[0]: getattr(self, n) for n in names}
        return (
            w["weight_ih"],
            w["weight_hh"],
            w.get("bias_ih"),
            w.get("bias_hh"),
            w.get("weight_hr"),
        )

    def _run_direction(self, x, state, layer, direction, lengths=None):
        """Run one layer in one direction over a time-major ``x`` of shape (L, N, H_in);
        returns (output (L, N, H), final state).

        With ``lengths`` (packed input: the batch sorted longest first), a sequence's state
        stops changing after its last step, and in the reverse direction it starts at its
        own last step."""
        w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_weights(layer, direction)
        reverse = direction == 1
        if w_hr is not None:
            return self._run_projected(x, state, (w_ih, w_hh, b_ih, b_hh, w_hr), reverse, lengths)
        if self.mode == "LSTM":

            def layer_fn(x, state):
                out, h, c = autograd.lstm_layer(
                    x, state[0], state[1], w_ih, w_hh, b_ih, b_hh, reverse
                )
                return out, (h, c)
        else:

            def layer_fn(x, state):
                return _LAYERS[self.mode](x, state, w_ih, w_hh, b_ih, b_hh, reverse)

        if lengths is None:
            return layer_fn(x, state)
        return self._run_packed(layer_fn, x, state, lengths, reverse)

    def _run_packed(self, layer_fn, x, state, lengths, reverse):
        """Packed input: the sequences still running at step t are the first ``n_t`` of the
        sorted batch, so the steps fall into stretches with the same ``n_t``; each stretch is
        one primitive on those rows, the other rows keep their state (the reverse direction
        walks the stretches from the end, so a sequence starts at its own last step). Outputs
        at padded positions are zero (a PackedSequence never reads them)."""
        L, N = x.shape[0], x.shape[1]
        stretches = []  # (t0, t1, n): steps t0..t1-1 run the first n sequences
        for t in range(L):
            n = int((lengths > t).sum())
            if stretches and stretches[-1][2] == n:
                stretches[-1][1] = t + 1
            else:
                stretches.append([t, t + 1, n])
        lstm = self.mode == "LSTM"
        states = state if lstm else (state,)
        outputs = {}
        for t0, t1, n in reversed(stretches) if reverse else stretches:
            out, new = layer_fn(
                x[t0:t1, :n], tuple(s[:n] for s in states) if lstm else states[0][:n]
            )
            new = new if lstm else (new,)
            if n < N:
                out = autograd.cat([out, out.new_zeros((t1 - t0, N - n, out.shape[-1]))], 1)
                new = tuple(autograd.cat([a, s[n:]], 0) for a, s in zip(new, states))
            outputs[t0] = out
            states = new
        output = autograd.cat([outputs[t0] for t0, _, _ in stretches], 0)
        return output, (states if lstm else states[0])

    def _run_projected(self, x, state, weights, reverse, lengths):
        """LSTM with projections, unrolled into differentiable ops; with ``lengths`` the state
        is only replaced where ``t < length``."""
        w_ih, w_hh, b_ih, b_hh, w_hr = weights
        gi_all = _linear(x, w_ih, b_ih).unbind(0)  # input projections of every step at once
        steps = range(len(gi_all) - 1, -1, -1) if reverse else range(len(gi_all))
        outputs = [None] * len(gi_all)
        for t in steps:
            new = _lstm_proj_step(gi_all[t], state, w_hh, b_hh, w_hr)
            if lengths is not None and lengths[-1] <= t:  # some sequences have ended
                running = autograd.tensor((lengths > t)[:, None])
                new = tuple(autograd.where(running, n, o) for n, o in zip(new, state))
            state = new
            outputs[t] = state[0]
        return autograd.stack(outputs, 0), state

    def _run(self, x, states, lengths=None):
        """All layers and directions. ``states[k]`` is the initial state of layer/direction k
        (a tensor, or an (h, c) pair for LSTM); returns the last layer's output and the final
        states in the same layout."""
        # under autocast, the fused layer ops cast their own inputs (autograd/ops/rnn.py:
        # LSTM and Elman layers run in the low dtype, GRU in float32, as torch's CPU lists)
        num_directions = 2 if self.bidirectional else 1
        final = []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                out, state = self._run_direction(
                    x, states[layer * num_directions + direction], layer, direction, lengths
                )
                outs.append(out)
                final.append(state)
            x = outs[0] if num_directions == 1 else autograd.cat(outs, 2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                from .. import functional as F

                x = F.dropout(x, self.dropout, True)
        return x, final

    def _prepare(self, input):
        """Validate, make the input batched and time-major; returns (x, is_batched, batch,
        packing): ``packing`` is None, or for a PackedSequence (its batch sizes, sorted and
        unsorted indices, and the sorted lengths), with ``x`` padded in the sorted order."""
        if isinstance(input, PackedSequence):
            x, lengths = pad_packed_sequence(
                input._replace(sorted_indices=None, unsorted_indices=None)
            )
            self._check_input(x)
            packing = (
                input.batch_sizes,
                input.sorted_indices,
                input.unsorted_indices,
                lengths.numpy(),
            )
            return x, True, x.size(1), packing
        self._check_input(input)
        is_batched = input.dim() == 3
        if not is_batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        if self.batch_first:
            input = input.transpose(0, 1)
        return input, is_batched, input.size(1), None

    def _finish(self, output, is_batched, packing=None):
        if packing is not None:  # back to a PackedSequence (time-major, sorted order)
            batch_sizes, sorted_indices, unsorted_indices, _ = packing
            data = autograd.cat([output[t, : int(n)] for t, n in enumerate(batch_sizes.tolist())])
            return PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)
        if self.batch_first:
            output = output.transpose(0, 1)
        if not is_batched:
            output = output.squeeze(0 if self.batch_first else 1)
        return output

    def _expected_hidden(self, batch, size):
        return (self.num_layers * (2 if self.bidirectional else 1), batch, size)

    @staticmethod
    def _permute_hidden(h, indices):
        """Hidden states follow the batch: a packed batch runs sorted, the caller's ``hx``
        and the returned ``h_n`` are in the original order (as in torch)."""
        return h if indices is None else h.index_select(1, indices)


def _no_proj_size(kwargs):
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), stacked
    ``num_layers`` deep, optionally bidirectional.

    ``forward(input, hx=None)`` takes ``input`` of shape (L, N, H_in) ((N, L, H_in) with
    ``batch_first=True``, or (L, H_in) unbatched) and an optional initial state ``hx`` of
    shape (D * num_layers, N, H_out); returns ``(output, h_n)``.

    Example:
        >>> rnn = nn.RNN(4, 8, nonlinearity="relu")
        >>> out, h = rnn(autograd.randn(6, 2, 4))
        >>> out.shape, h.shape
        (autograd.Size([6, 2, 8]), autograd.Size([1, 2, 8]))
    """

    def __init__(self, *args, **kwargs):
        _no_proj_size(kwargs)
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, is_batched, batch, packing = self._prepare(input)
        expected = self._expected_hidden(batch, self.hidden_size)
        if hx is None:
            hx = autograd.zeros(expected, dtype=x.dtype)
        else:
            want = 3 if is_batched else 2
            if hx.dim() != want:
                raise RuntimeError(
                    f"For {'batched 3-D' if is_batched else 'unbatched 2-D'} input, hx should "
                    f"also be {want}-D but got {hx.dim()}-D tensor"
                )
            if not is_batched:
                hx = hx.unsqueeze(1)
            self._check_hidden(hx, expected)
            if packing is not None:
                hx = self._permute_hidden(hx, packing[1])
        output, final = self._run(x, hx.unbind(0), packing and packing[3])
        h_n = autograd.stack(final, 0)
        if packing is not None:
            h_n = self._permute_hidden(h_n, packing[2])
        if not is_batched:
            h_n = h_n.squeeze(1)
        return self._finish(output, is_batched, packing), h_n


class GRU(RNNBase):
    """Gated recurrent unit network (gates reset r, update z, new n, in torch's order).

    Same call signature and return values as ``nn.RNN``.

    Example:
        >>> gru = nn.GRU(4, 8, bidirectional=True, batch_first=True)
        >>> out, h = gru(autograd.randn(2, 6, 4))
        >>> out.shape, h.shape
        (autograd.Size([2, 6, 16]), autograd.Size([2, 2, 8]))
    """

    def __init__(self, *args, **kwargs):
        _no_proj_size(kwargs)
        super().__init__("GRU", *args, **kwargs)

    forward = RNN.forward


class LSTM(RNNBase):
    """Long short-term memory network (gates input i, forget f, cell g, output o).

    ``forward(input, hx=None)``: ``hx`` is an optional pair ``(h_0, c_0)``; returns
    ``(output, (h_n, c_n))``. With ``proj_size > 0`` the hidden state is projected to
    ``proj_size`` features by an extra weight ``weight_hr_l{k}``.

    Example:
        >>> lstm = nn.LSTM(4, 8)
        >>> out, (h, c) = lstm(autograd.randn(6, 2, 4))
        >>> out.shape, h.shape, c.shape
        (autograd.Size([6, 2, 8]), autograd.Size([1, 2, 8]), autograd.Size([1, 2, 8]))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        x, is_batched, batch, packing = self._prepare(input)
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        expected_h = self._expected_hidden(batch, real_hidden)
        expected_c = self._expected_hidden(batch, self.hidden_size)
        if hx is None:
            h0 = autograd.zeros(expected_h, dtype=x.dtype)
            c0 = autograd.zeros(expected_c, dtype=x.dtype)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0) of two tensors")
            h0, c0 = hx
            want = 3 if is_batched else 2
            if h0.dim() != want or c0.dim() != want:
                raise RuntimeError(
                    f"For {'batched 3-D' if is_batched else 'unbatched 2-D'} input, hx and cx "
                    f"should also be {want}-D but got ({h0.dim()}-D, {c0.dim()}-D) tensors"
                )
            if not is_batched:
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
            self._check_hidden(h0, expected_h, "Expected hidden[0] size {}, got {}")
            self._check_hidden(c0, expected_c, "Expected hidden[1] size {}, got {}")
            if packing is not None:
                h0, c0 = self._permute_hidden(h0, packing[1]), self._permute_hidden(c0, packing[1])
        output, final = self._run(x, list(zip(h0.unbind(0), c0.unbind(0))), packing and packing[3])
        h_n = autograd.stack([h for h, _ in final], 0)
        c_n = autograd.stack([c for _, c in final], 0)
        if packing is not None:
            h_n, c_n = self._permute_hidden(h_n, packing[2]), self._permute_hidden(c_n, packing[2])
        if not is_batched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return self._finish(output, is_batched, packing), (h_n, c_n)


# ---- cells: one time step ----------------------------------------------------------------


class RNNCellBase(Module):
    """Parameters ``weight_ih`` (G*H, H_in), ``weight_hh`` (G*H, H), ``bias_ih``, ``bias_hh``
    (G*H,) of a single-step cell with G stacked gates."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gates = num_chunks * hidden_size

        def empty(*shape):
            return Parameter(autograd.empty(shape, dtype=dtype, device=device))

        self.weight_ih = empty(gates, input_size)
        self.weight_hh = empty(gates, hidden_size)
        if bias:
            self.bias_ih = empty(gates)
            self.bias_hh = empty(gates)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check(self, input, hx_list, hx_label="hidden"):
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for label, h in hx_list:
            if h is not None and h.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {h.dim()}D instead")
        if input.size(-1) != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.size(-1)} "
                f"expected {self.input_size}"
            )
        for _, h in hx_list:
            if h is not None and h.size(-1) != self.hidden_size:
                raise RuntimeError(
                    f"hidden{'' if len(hx_list) == 1 else '[0]'} has inconsistent "
                    f"hidden_size: got {h.size(-1)}, expected {self.hidden_size}"
                )
        return input.dim() == 2

    def _zeros(self, input):
        return autograd.zeros((input.size(0), self.hidden_size), dtype=input.dtype)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    Example:
        >>> cell = nn.RNNCell(4, 8)
        >>> cell(autograd.randn(3, 4)).shape
        autograd.Size([3, 8])
    """

    def __init__(
        self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None
    ):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        is_batched = self._check(input, [("hidden", hx)])
        if not is_batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        if self.nonlinearity == "tanh":
            step = autograd.rnn_tanh_cell
        elif self.nonlinearity == "relu":
            step = autograd.rnn_relu_cell
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        h = step(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if is_batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; ``forward(input, (h, c))`` returns ``(h', c')``.

    Example:
        >>> cell = nn.LSTMCell(4, 8)
        >>> h, c = cell(autograd.randn(3, 4))
        >>> h.shape, c.shape
        (autograd.Size([3, 8]), autograd.Size([3, 8]))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        pair = [(f"hx[{i}]", h) for i, h in enumerate(hx)] if hx is not None else []
        is_batched = self._check(input, pair)
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = self._zeros(input)
            hx = (zeros, zeros)
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = autograd.lstm_cell(
            input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh
        )
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: returns h'.

    Example:
        >>> cell = nn.GRUCell(4, 8)
        >>> cell(autograd.randn(3, 4), autograd.zeros(3, 8)).shape
        autograd.Size([3, 8])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        is_batched = self._check(input, [("hidden", hx)])
        if not is_batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        h = autograd.gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if is_batched else h.squeeze(0)
