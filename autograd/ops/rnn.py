"""Recurrent layers as fused primitives: RNN (tanh / relu), GRU and LSTM.

``gru_layer(input, hx, w_ih, w_hh, b_ih, b_hh)`` runs one GRU layer in one direction over
a whole sequence and records **one** graph node for it (an unrolled composition would
record a dozen per time step). ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` call these functions
once per layer and direction; the cells (``gru_cell`` ..., used by ``nn.GRUCell`` ...) are
the same primitives on a single step. The equations are torch's (see ``_gru_cell`` &c.).

How the primitive computes (the array path, used by forward and by an ordinary backward):

* forward: the input projections of all steps in one product, ``gi = x @ W_ih^T + b_ih``
  (L, N, G*H); then per step ``gh = h @ W_hh^T`` (BLAS) and the step's gate maths, which also
  saves what the backward needs (gate values) in a work space ``ws``;
* backward, walking the steps in reverse: the step's gate gradients ``dgi``/``dgh``, and
  ``dgh @ W_hh`` (BLAS) as the gradient reaching the previous state; at the end the weight
  gradients as single products over all steps, ``dW_hh = sum_t dgh_t^T h_{t-1}``,
  ``dW_ih = dgi^T x``, ``dx = dgi @ W_ih``.

The gate maths of a step has two implementations with the same arithmetic: the NumPy
reference (``_rnn_cell``, ``_gru_cell``, ``_lstm_cell`` and their ``_vjp``s, written once
against ``xp``), and, with the numba backend, one kernel per step forward and backward
(``autograd/kernels/rnn.py``). When the backward itself is recorded (``create_graph=True``)
the VJP recomputes the forward from the saved inputs with differentiable ``xp`` ops and
walks back through it with the same ``_vjp`` functions, so second derivatives are exact.

Example:
    >>> x, h0 = autograd.randn(5, 3, 4), autograd.zeros(3, 8)      # (L, N, H_in), (N, H)
    >>> w_ih, w_hh = autograd.randn(24, 4), autograd.randn(24, 8)  # 3 gates * 8
    >>> out, h_n = autograd.gru_layer(x, h0, w_ih, w_hh)
    >>> out.shape, h_n.shape
    (autograd.Size([5, 3, 8]), autograd.Size([3, 8]))
"""

from __future__ import annotations

import numpy as np

from .. import amp as _amp
from .. import dispatch
from ..dtypes import FLOAT_KINDS
from ..errors import DTypeError, ShapeError
from ..function import Op
from ..tensor import Tensor
from . import xp as _xp
from ._util import named_function
from .activation import relu
from .join import stack
from .registry import OpInfo, Sample, register, register_functions

__all__ = [
    "rnn_tanh_layer",
    "rnn_relu_layer",
    "gru_layer",
    "lstm_layer",
    "rnn_tanh_cell",
    "rnn_relu_cell",
    "gru_cell",
    "lstm_cell",
]

_xp.define("stack", numpy=np.stack, tensor=stack)
_xp.define("relu", numpy=lambda x: np.maximum(x, 0), tensor=relu)
_NP = _xp.NUMPY


# ---- the gate maths of one step, written once for ndarrays and for Tensors (``xp``) ----------
# ``gi``: the step's input projection x W_ih^T + b_ih, ``gh``: h W_hh^T + b_hh, both with the
# gates stacked along the last axis in torch's order. Each cell returns (h', c' or None, the
# values its VJP needs); each VJP takes the gradient of h' (``dy`` from the step's output plus
# ``dmm`` through the next step's W_hh product), the gradient of c' (LSTM), the ``carry`` the
# next step sent directly (GRU: z * dh'; LSTM: f * dc'), and returns the gradients of gi and
# gh and this step's carry. Kernels in autograd/kernels/rnn.py do the same in the same order.
def _rnn_cell(xp, gi, gh, h, c, relu_):
    pre = gi + gh
    return (xp.relu(pre) if relu_ else xp.tanh(pre)), None, ()


def _rnn_cell_vjp(xp, dy, dcy, dmm, carry, h, c, h_new, saved, relu_):
    dh = dy + dmm
    dpre = xp.where(h_new > 0, dh, xp.zeros_like(dh)) if relu_ else dh * (1 - h_new * h_new)
    return dpre, dpre, None


def _gru_cell(xp, gi, gh, h, c):
    """r = s(gi_r + gh_r), z = s(gi_z + gh_z), n = tanh(gi_n + r * gh_n), h' = (1 - z) n + z h
    (written n + z (h - n))."""
    H = h.shape[-1]
    r = xp.sigmoid(gi[..., :H] + gh[..., :H])
    z = xp.sigmoid(gi[..., H : 2 * H] + gh[..., H : 2 * H])
    hn = gh[..., 2 * H :]
    n = xp.tanh(gi[..., 2 * H :] + r * hn)
    return n + z * (h - n), None, (r, z, n, hn)


def _gru_cell_vjp(xp, dy, dcy, dmm, carry, h, c, h_new, saved):
    r, z, n, hn = saved
    dh = dy + dmm + carry
    dn = dh * (1 - z) * (1 - n * n)  # through tanh: gradient of gi_n + r * hn
    dz = dh * (h - n) * z * (1 - z)
    dr = dn * hn * r * (1 - r)
    return xp.cat([dr, dz, dn], -1), xp.cat([dr, dz, dn * r], -1), dh * z


def _lstm_cell(xp, gi, gh, h, c):
    """i, f, o = s(.), g = tanh(.); c' = f c + i g; h' = o tanh(c')."""
    H = c.shape[-1]
    pre = gi + gh
    i = xp.sigmoid(pre[..., :H])
    f = xp.sigmoid(pre[..., H : 2 * H])
    g = xp.tanh(pre[..., 2 * H : 3 * H])
    o = xp.sigmoid(pre[..., 3 * H :])
    c_new = f * c + i * g
    tc = xp.tanh(c_new)
    return o * tc, c_new, (i, f, g, o, tc)


def _lstm_cell_vjp(xp, dy, dcy, dmm, carry, h, c, h_new, saved):
    i, f, g, o, tc = saved
    dh = dy + dmm
    dct = carry + dcy + dh * o * (1 - tc * tc)
    dgates = xp.cat(
        [
            dct * g * i * (1 - i),
            dct * c * f * (1 - f),
            dct * i * (1 - g * g),
            dh * tc * o * (1 - o),
        ],
        -1,
    )
    return dgates, dgates, dct * f


class _Cell:
    """What the sequence loops need to know about a cell type."""

    def __init__(self, name, gates, saved, step, vjp, **params):
        self.name, self.gates, self.saved = name, gates, saved  # saved: (N, H) arrays per step
        self.lstm = name == "lstm"
        self.step = (lambda xp, *a: step(xp, *a, **params)) if params else step
        self.vjp = (lambda xp, *a: vjp(xp, *a, **params)) if params else vjp
        # the forward / backward step kernels in autograd/kernels/rnn.py
        self.kernels = (f"{name}_forward_step", f"{name}_backward_step")

    # The array path's step functions: write into the loop's buffers, like the kernels do.
    def forward_numpy(self, gi, gh, b, h, c, h_out, c_out, ws):
        h_new, c_new, saved = self.step(_NP, gi, gh + b, h, c)
        h_out[...] = h_new
        if c_out is not None:
            c_out[...] = c_new
        if saved:
            ws[...] = np.concatenate(saved, -1)

    def backward_numpy(self, dy, dcy, dmm, carry, h, c, h_new, ws, dgi, dgh):
        saved = tuple(np.split(ws, self.saved, -1)) if self.saved else ()
        gi_, gh_, new_carry = self.vjp(_NP, dy, dcy, dmm, carry, h, c, h_new, saved)
        dgi[...] = gi_
        if gh_ is not gi_:  # (RNN and LSTM: one array for both)
            dgh[...] = gh_
        if new_carry is not None:
            carry[...] = new_carry

    def kernel_steps(self, K):
        """(forward, backward) with the array path's signatures, running the kernels."""
        fwd, bwd = (getattr(K, name) for name in self.kernels)
        if self.name == "gru":
            return (
                lambda gi, gh, b, h, c, ho, co, ws: fwd(gi, gh, b, h, ho, ws),
                lambda dy, dcy, dmm, cr, h, c, hn, ws, dgi, dgh: bwd(dy, dmm, cr, h, ws, dgi, dgh),
            )
        if self.lstm:
            return (
                lambda gi, gh, b, h, c, ho, co, ws: fwd(gi, gh, b, c, ho, co, ws),
                lambda dy, dcy, dmm, cr, h, c, hn, ws, dgi, dgh: bwd(dy, dcy, dmm, cr, c, ws, dgi),
            )
        return (
            lambda gi, gh, b, h, c, ho, co, ws: fwd(gi, gh, b, ho),
            lambda dy, dcy, dmm, cr, h, c, hn, ws, dgi, dgh: bwd(dy, dmm, hn, dgi),
        )


_CELLS = {
    "rnn_tanh": _Cell("rnn_tanh", 1, 0, _rnn_cell, _rnn_cell_vjp, relu_=False),
    "rnn_relu": _Cell("rnn_relu", 1, 0, _rnn_cell, _rnn_cell_vjp, relu_=True),
    "gru": _Cell("gru", 3, 4, _gru_cell, _gru_cell_vjp),
    "lstm": _Cell("lstm", 4, 5, _lstm_cell, _lstm_cell_vjp),
}


def _steps(L, reverse):
    return range(L - 1, -1, -1) if reverse else range(L)


def _prev(t, reverse):
    """The step whose state step ``t`` starts from (-1 / L: the initial state)."""
    return t + 1 if reverse else t - 1


# ---- the array path: forward and ordinary backward over the sequence -------------------------
def _forward(cell, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
    """Returns (out, ws): out is (L, N, H) (LSTM: (2, L, N, H), h then c), ws the work space."""
    L, N, I = x.shape
    G, H = w_hh.shape
    K = dispatch.kernels("rnn", x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    fwd = cell.kernel_steps(K)[0] if K is not None else cell.forward_numpy
    gi = (x.reshape(L * N, I) @ w_ih.T).reshape(L, N, G)
    if b_ih is not None:
        gi += b_ih
    b = np.zeros(G, x.dtype) if b_hh is None else np.ascontiguousarray(b_hh)
    out = np.empty((2, L, N, H) if cell.lstm else (L, N, H), x.dtype)
    hs, cs = (out[0], out[1]) if cell.lstm else (out, None)
    ws = np.empty((L, N, cell.saved * H), x.dtype)
    gh = np.empty((N, G), x.dtype)
    # a contiguous copy of W_hh^T: BLAS multiplies a few rows by it faster than by the
    # transposed view (measured in bench/README.md, "Recurrent layers")
    w_t = np.ascontiguousarray(w_hh.T)
    h, c = np.ascontiguousarray(h0), (None if c0 is None else np.ascontiguousarray(c0))
    for t in _steps(L, reverse):
        np.matmul(h, w_t, out=gh)
        fwd(gi[t], gh, b, h, c, hs[t], None if cs is None else cs[t], ws[t])
        h, c = hs[t], (None if cs is None else cs[t])
    return out, ws


def _backward(cell, need, g, x, h0, c0, w_ih, w_hh, out, ws, reverse):
    """Gradients of (x, h0, c0, w_ih, w_hh, b_ih, b_hh) for the output gradient ``g``."""
    L, N, I = x.shape
    G, H = w_hh.shape
    K = dispatch.kernels("rnn", x, g, w_hh)
    bwd = cell.kernel_steps(K)[1] if K is not None else cell.backward_numpy
    g = np.ascontiguousarray(g, dtype=x.dtype)
    h0 = np.ascontiguousarray(h0)
    c0 = None if c0 is None else np.ascontiguousarray(c0)
    gy, gc = (g[0], g[1]) if cell.lstm else (g, None)
    hs, cs = (out[0], out[1]) if cell.lstm else (out, None)
    dgi = np.empty((L, N, G), x.dtype)
    dgh = np.empty_like(dgi) if cell.name == "gru" else dgi  # the same for RNN and LSTM
    dmm = np.zeros((N, H), x.dtype)  # gradient reaching h_t through h_t @ W_hh^T
    carry = np.zeros((N, H), x.dtype)  # gradient reaching the state directly (GRU h, LSTM c)
    for t in reversed(_steps(L, reverse)):
        p = _prev(t, reverse)
        first = p in (-1, L)
        h, c = (h0, c0) if first else (hs[p], None if cs is None else cs[p])
        bwd(gy[t], None if gc is None else gc[t], dmm, carry, h, c, hs[t], ws[t], dgi[t], dgh[t])
        np.matmul(dgh[t], w_hh, out=dmm)
    d_x, d_h0, d_c0, d_wih, d_whh, d_bih, d_bhh = (None,) * 7
    dgi2, dgh2 = dgi.reshape(L * N, G), dgh.reshape(L * N, G)
    if need[0]:
        d_x = (dgi2 @ w_ih).reshape(L, N, I)
    if need[1]:
        d_h0 = dmm + carry if cell.name == "gru" else dmm
    if cell.lstm and need[2]:
        d_c0 = carry
    if need[3]:
        d_wih = dgi2.T @ x.reshape(L * N, I)
    if need[4]:  # sum over steps of dgh_t^T h_{t-1}: the steps after the first in one product
        first = L - 1 if reverse else 0
        rest = slice(0, L - 1) if reverse else slice(1, L)
        prev = slice(1, L) if reverse else slice(0, L - 1)
        d_whh = dgh[first].T @ h0
        if L > 1:
            d_whh += dgh[rest].reshape(-1, G).T @ hs[prev].reshape(-1, H)
    if need[5]:
        d_bih = dgi2.sum(0)
    if need[6]:
        d_bhh = dgh2.sum(0) if dgh is not dgi or not need[5] else d_bih.copy()
    return d_x, d_h0, d_c0, d_wih, d_whh, d_bih, d_bhh


# ---- create_graph: the same VJP as differentiable ops --------------------------------------
def _graph_backward(cell, need, g, xp, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
    """Recompute the forward from the saved inputs with ``xp`` ops, then walk back through it
    with the cells' VJPs: every gradient is a recorded function of the inputs and ``g``."""
    L = x.shape[0]
    gi = xp.matmul(x, xp.transpose(w_ih, 0, 1))
    if b_ih is not None:
        gi = gi + b_ih
    w_t = xp.transpose(w_hh, 0, 1)
    states, saved = {}, {}
    h, c = h0, c0
    for t in _steps(L, reverse):
        states[_prev(t, reverse)] = (h, c)
        gh = xp.matmul(h, w_t)
        if b_hh is not None:
            gh = gh + b_hh
        h, c, saved[t] = cell.step(xp, gi[t], gh, h, c)
        states[t] = (h, c)
    gy, gc = (g[0], g[1]) if cell.lstm else (g, None)
    dmm = carry = xp.zeros_like(h0)
    dgi, dgh = [None] * L, [None] * L
    for t in reversed(_steps(L, reverse)):
        h, c = states[_prev(t, reverse)]
        dgi[t], dgh[t], carry = cell.vjp(
            xp, gy[t], None if gc is None else gc[t], dmm, carry, h, c, states[t][0], saved[t]
        )
        dmm = xp.matmul(dgh[t], w_hh)
    dgi, dgh = xp.stack(dgi, 0), xp.stack(dgh, 0)
    G, H = w_hh.shape
    I = x.shape[-1]
    flat_gi, flat_gh = xp.reshape(dgi, (-1, G)), xp.reshape(dgh, (-1, G))
    h_prev = xp.stack([states[_prev(t, reverse)][0] for t in range(L)], 0)
    return (
        xp.matmul(dgi, w_ih) if need[0] else None,
        (dmm + carry if cell.name == "gru" else dmm) if need[1] else None,
        carry if cell.lstm and need[2] else None,
        xp.matmul(xp.transpose(flat_gi, 0, 1), xp.reshape(x, (-1, I))) if need[3] else None,
        xp.matmul(xp.transpose(flat_gh, 0, 1), xp.reshape(h_prev, (-1, H))) if need[4] else None,
        xp.sum(flat_gi, 0) if need[5] else None,
        xp.sum(flat_gh, 0) if need[6] else None,
    )


# ---- the primitives ----------------------------------------------------------------------------
class _RecurrentLayer(Op):
    """One layer, one direction: inputs (x, h0, c0, w_ih, w_hh, b_ih, b_hh) with c0 only for
    LSTM and the biases optional; x is (L, N, H_in), or (N, H_in) for a single step (a cell).
    The output is the hidden state of every step, (L, N, H) (LSTM: (2, L, N, H), the hidden
    states then the cell states), or without the L axis for a single step."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, cell, reverse):
        one_step = x.ndim == 2
        x3 = x[None] if one_step else x
        out, ws = _forward(_CELLS[cell], x3, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)
        ctx.cell, ctx.reverse, ctx.one_step = cell, reverse, one_step
        if one_step:  # drop the length-1 step axis (a view: ``out`` stays the saved array)
            y = out[:, 0] if _CELLS[cell].lstm else out[0]
        else:
            y = out
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, y, ws)
        return y

    @staticmethod
    def backward(ctx, g, xp):
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, y, ws = ctx.saved_tensors
        cell = _CELLS[ctx.cell]
        lstm = cell.lstm
        if ctx.one_step:  # put the step axis back
            x = xp.unsqueeze(x, 0)
            g = xp.unsqueeze(g, 1 if lstm else 0)
        if xp.graph:
            grads = _graph_backward(
                cell, ctx.needs_input_grad, g, xp, x, h0, c0, w_ih, w_hh, b_ih, b_hh, ctx.reverse
            )
        else:
            out = y[:, None] if ctx.one_step and lstm else (y[None] if ctx.one_step else y)
            grads = _backward(
                cell, ctx.needs_input_grad, g, x, h0, c0, w_ih, w_hh, out, ws, ctx.reverse
            )
        d_x = grads[0]
        if ctx.one_step and d_x is not None:
            d_x = d_x[0]
        return (d_x,) + tuple(grads[1:])


# one Op class per cell type, named for torch's grad_fn (``GruBackward0`` ...)
_OPS = {
    cell: type(name, (_RecurrentLayer,), {"grad_fn_name": grad_fn})
    for cell, name, grad_fn in (
        ("rnn_tanh", "RNNTanh", "RnnTanhBackward0"),
        ("rnn_relu", "RNNRelu", "RnnReluBackward0"),
        ("gru", "GRU", "GruBackward0"),
        ("lstm", "LSTM", "LstmBackward0"),
    )
}
_TORCH_DTYPE = {
    np.dtype(np.float32): "float",
    np.dtype(np.float64): "double",
    np.dtype(np.float16): "c10::Half",
}


def _check(opname, cell, x, states, w_ih, w_hh, b_ih, b_hh, step_dims):
    """Validate shapes and dtypes in torch's wording; returns the hidden size."""
    tensors = [x, *states, w_ih, w_hh, b_ih, b_hh]
    for t in tensors:
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{opname}: expected Tensors, got {type(t).__name__}")
    if x.dim() != step_dims:
        raise ShapeError(
            f"{opname}: expected input to be {step_dims}-D, got {x.dim()}-D (shape {list(x.shape)})"
        )
    G = _CELLS[cell].gates
    if w_hh.dim() != 2 or w_ih.dim() != 2:
        raise ShapeError(
            f"{opname}: weight_ih and weight_hh must be 2-D, got shapes "
            f"{list(w_ih.shape)} and {list(w_hh.shape)}"
        )
    H = w_hh.shape[1]
    for name, w in (("weight_ih", w_ih), ("weight_hh", w_hh), ("bias_ih", b_ih), ("bias_hh", b_hh)):
        if w is not None and w.shape[0] != G * H:
            raise ShapeError(
                f"{name} first dim must be {G} * hidden_size = {G * H}, but got {w.shape[0]}"
            )
    for name, b in (("bias_ih", b_ih), ("bias_hh", b_hh)):
        if b is not None and b.dim() != 1:
            raise ShapeError(f"{opname}: {name} must be 1-D, got shape {list(b.shape)}")
    if x.shape[-1] != w_ih.shape[1]:
        raise ShapeError(
            f"input has inconsistent input_size: got {x.shape[-1]} expected {w_ih.shape[1]}"
        )
    for k, s in enumerate(states):
        if s.dim() != 2:
            raise ShapeError(
                f"{opname}: expected hidden{k} to be 2-D (batch, hidden_size), got "
                f"shape {list(s.shape)}"
            )
        if s.shape[0] != x.shape[-2]:
            raise ShapeError(
                f"Input batch size {x.shape[-2]} doesn't match hidden{k} batch size {s.shape[0]}"
            )
        if s.shape[1] != H:
            raise ShapeError(
                f"hidden{k} has inconsistent hidden_size: got {s.shape[1]}, expected {H}"
            )
    dts = {t._data.dtype for t in tensors if t is not None}
    if len(dts) > 1 or dts.pop().kind not in FLOAT_KINDS:
        names = ", ".join(
            _TORCH_DTYPE.get(t._data.dtype, str(t._data.dtype)) for t in tensors if t is not None
        )
        raise DTypeError(
            f"{opname}: expected input, hidden states and weights to have the same "
            f"floating point dtype, but got: {names}; convert the input or the "
            "module, e.g. x.to(weight_ih.dtype)"
        )
    return H


def _layer(cell, opname, input, states, w_ih, w_hh, b_ih, b_hh, reverse):
    _check(opname, cell, input, states, w_ih, w_hh, b_ih, b_hh, 3)
    if input.shape[0] == 0:
        raise ShapeError(
            "Expected sequence length to be larger than 0 in RNN "
            f"({opname}: the sequence is empty, input of shape {list(input.shape)})"
        )
    h0, c0 = states if len(states) == 2 else (states[0], None)
    out = _OPS[cell].apply(input, h0, c0, w_ih, w_hh, b_ih, b_hh, cell=cell, reverse=bool(reverse))
    last = 0 if reverse else -1
    if c0 is None:
        return out, out[last]
    return out[0], out[0, last], out[1, last]


def _layer_function(cell, doc, autocast=False):
    """The public one-layer function of a cell type with one state (RNN, GRU); LSTM's, with
    its cell state too, is written out below. ``autocast``: under autocast it runs in the low
    precision dtype (``amp.lower_precision``)."""

    def layer(
        input: Tensor,
        hx: Tensor,
        w_ih: Tensor,
        w_hh: Tensor,
        b_ih: Tensor | None = None,
        b_hh: Tensor | None = None,
        reverse: bool = False,
    ):
        return _layer(cell, f"{cell}_layer", input, (hx,), w_ih, w_hh, b_ih, b_hh, reverse)

    layer = named_function(layer, f"{cell}_layer", doc)
    return _amp.lower_precision(layer) if autocast else layer


rnn_tanh_layer = _layer_function(
    "rnn_tanh",
    """One Elman RNN layer (tanh) over a sequence: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T
    + b_hh)``, one graph node for all steps (``reverse``: from the last step to the first).

    ``input`` (L, N, H_in), ``hx`` (N, H); returns ``(output, h_n)``, output (L, N, H).

    Example:
        >>> out, h = autograd.rnn_tanh_layer(autograd.randn(4, 2, 3), autograd.zeros(2, 5),
        ...                                  autograd.randn(5, 3), autograd.randn(5, 5))
        >>> out.shape
        autograd.Size([4, 2, 5])
    """,
    autocast=True,
)
rnn_relu_layer = _layer_function(
    "rnn_relu",
    """``rnn_tanh_layer`` with relu instead of tanh.

    Example:
        >>> out, h = autograd.rnn_relu_layer(autograd.randn(4, 2, 3), autograd.zeros(2, 5),
        ...                                  autograd.randn(5, 3), autograd.randn(5, 5))
        >>> bool((out >= 0).all())
        True
    """,
    autocast=True,
)
gru_layer = _layer_function(
    "gru",
    """One GRU layer over a sequence (torch's equations, gates r, z, n stacked in the
    weights), one graph node for all steps. ``input`` (L, N, H_in), ``hx`` (N, H),
    ``w_ih`` (3H, H_in), ``w_hh`` (3H, H); returns ``(output, h_n)``, output (L, N, H).

    Example:
        >>> out, h = autograd.gru_layer(autograd.randn(4, 2, 3), autograd.zeros(2, 5),
        ...                             autograd.randn(15, 3), autograd.randn(15, 5))
        >>> bool((out[-1] == h).all())
        True
    """,
)


@_amp.lower_precision
def lstm_layer(
    input: Tensor,
    hx: Tensor,
    cx: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
    reverse: bool = False,
):
    """One LSTM layer over a sequence (gates i, f, g, o stacked in the weights), one graph
    node for all steps. ``input`` (L, N, H_in), ``hx``/``cx`` (N, H), ``w_ih`` (4H, H_in),
    ``w_hh`` (4H, H); returns ``(output, h_n, c_n)``, output (L, N, H).

    Example:
        >>> out, h, c = autograd.lstm_layer(autograd.randn(4, 2, 3), autograd.zeros(2, 5),
        ...                                 autograd.zeros(2, 5), autograd.randn(20, 3),
        ...                                 autograd.randn(20, 5))
        >>> out.shape, c.shape
        (autograd.Size([4, 2, 5]), autograd.Size([2, 5]))
    """
    return _layer("lstm", "lstm_layer", input, (hx, cx), w_ih, w_hh, b_ih, b_hh, reverse)


def _cell(cell, opname, input, states, w_ih, w_hh, b_ih, b_hh):
    """One step: the layer primitive on (N, H_in) input (no time axis)."""
    _check(opname, cell, input, states, w_ih, w_hh, b_ih, b_hh, 2)
    h0, c0 = states if len(states) == 2 else (states[0], None)
    y = _OPS[cell].apply(input, h0, c0, w_ih, w_hh, b_ih, b_hh, cell=cell, reverse=False)
    return y if c0 is None else (y[0], y[1])


def _cell_function(cell, doc, autocast=False):
    """The public one-step function of a cell type with one state (RNN, GRU); LSTM's takes
    ``hx = (h, c)`` and is written out below. ``autocast`` as for ``_layer_function``."""

    def step(
        input: Tensor,
        hx: Tensor,
        w_ih: Tensor,
        w_hh: Tensor,
        b_ih: Tensor | None = None,
        b_hh: Tensor | None = None,
    ) -> Tensor:
        return _cell(cell, f"{cell}_cell", input, (hx,), w_ih, w_hh, b_ih, b_hh)

    step = named_function(step, f"{cell}_cell", doc)
    return _amp.lower_precision(step) if autocast else step


rnn_tanh_cell = _cell_function(
    "rnn_tanh",
    """One step of an Elman RNN: ``tanh(input W_ih^T + b_ih + hx W_hh^T + b_hh)`` (torch's
    ``torch.rnn_tanh_cell``). ``input`` (N, H_in), ``hx`` (N, H); ``nn.RNNCell`` also takes
    unbatched input.

    Example:
        >>> autograd.rnn_tanh_cell(autograd.randn(2, 3), autograd.zeros(2, 4),
        ...                        autograd.randn(4, 3), autograd.randn(4, 4)).shape
        autograd.Size([2, 4])
    """,
    autocast=True,
)
rnn_relu_cell = _cell_function(
    "rnn_relu",
    """``rnn_tanh_cell`` with relu (torch's ``torch.rnn_relu_cell``).

    Example:
        >>> h = autograd.rnn_relu_cell(autograd.randn(2, 3), autograd.zeros(2, 4),
        ...                            autograd.randn(4, 3), autograd.randn(4, 4))
        >>> bool((h >= 0).all())
        True
    """,
    autocast=True,
)
gru_cell = _cell_function(
    "gru",
    """One GRU step (torch's ``torch.gru_cell``); one graph node.

    Example:
        >>> autograd.gru_cell(autograd.randn(2, 3), autograd.zeros(2, 4),
        ...                   autograd.randn(12, 3), autograd.randn(12, 4)).shape
        autograd.Size([2, 4])
    """,
)


def lstm_cell(
    input: Tensor,
    hx,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
):
    """One LSTM step (torch's ``torch.lstm_cell``): ``hx = (h, c)``; returns ``(h', c')``.

    Example:
        >>> z = autograd.zeros(2, 4)
        >>> h, c = autograd.lstm_cell(autograd.randn(2, 3), (z, z), autograd.randn(16, 3),
        ...                           autograd.randn(16, 4))
        >>> h.shape, c.shape
        (autograd.Size([2, 4]), autograd.Size([2, 4]))
    """
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError("lstm_cell: hx must be a tuple (h, c) of two Tensors")
    return _cell("lstm", "lstm_cell", input, tuple(hx), w_ih, w_hh, b_ih, b_hh)


# ---- registry: NumPy references, samples, torch calls -----------------------------------------
def _sig(v):
    return 1 / (1 + np.exp(-v))


def _ref_step(cell, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """torch's documented equations for one step, in plain NumPy (independent of the code above)."""
    gi = x @ w_ih.T + (0 if b_ih is None else b_ih)
    gh = h @ w_hh.T + (0 if b_hh is None else b_hh)
    H = h.shape[-1]
    if cell == "rnn_tanh":
        return np.tanh(gi + gh), None
    if cell == "rnn_relu":
        return np.maximum(gi + gh, 0), None
    if cell == "gru":
        r, z = _sig(gi[:, :H] + gh[:, :H]), _sig(gi[:, H : 2 * H] + gh[:, H : 2 * H])
        n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
        return (1 - z) * n + z * h, None
    i, f, g, o = np.split(gi + gh, 4, -1)
    c = _sig(f) * c + _sig(i) * np.tanh(g)
    return _sig(o) * np.tanh(c), c


def _ref_layer(cell):
    def ref(x, h, *rest, reverse=False):
        c, (w_ih, w_hh, b_ih, b_hh) = (
            (rest[0], (rest[1:] + (None, None))[:4])
            if cell == "lstm"
            else (None, (rest + (None, None))[:4])
        )
        outs = [None] * len(x)
        for t in _steps(len(x), reverse):
            h, c = _ref_step(cell, x[t], h, c, w_ih, w_hh, b_ih, b_hh)
            outs[t] = h
        return (np.stack(outs), h) if c is None else (np.stack(outs), h, c)

    return ref


def _ref_cell(cell):
    def ref(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
        return _ref_step(cell, x, h, None, w_ih, w_hh, b_ih, b_hh)[0]

    return ref


def _torch_layer(cell):
    """torch's multi-layer function (``torch.gru`` ...) on one layer; reverse = flip time."""

    def call(torch, x, h, *rest, reverse=False):
        c, params = (rest[0], rest[1:]) if cell == "lstm" else (None, rest)
        params = [p for p in params if p is not None]
        xin = x.flip(0) if reverse else x
        hx = (h[None], c[None]) if cell == "lstm" else h[None]
        res = getattr(torch, cell)(xin, hx, params, len(params) == 4, 1, 0.0, False, False, False)
        out = res[0].flip(0) if reverse else res[0]
        return (out,) + tuple(r[0] for r in res[1:])

    return call


def _layer_samples(cell):
    G = _CELLS[cell].gates
    lstm = cell == "lstm"

    def samples(rng):
        def u(*shape):
            return rng.uniform(-0.8, 0.8, shape)

        out = []
        for L, N, I, H, bias, reverse in (
            (3, 2, 3, 2, True, False),
            (2, 2, 2, 3, False, True),
            (1, 1, 2, 2, True, True),
        ):
            states = (u(N, H), u(N, H)) if lstm else (u(N, H),)
            if cell == "rnn_relu":  # keep pre-activations away from relu's kink
                states = (rng.uniform(0.2, 0.8, (N, H)),)
            ws = (u(G * H, I), u(G * H, H)) + ((u(G * H), u(G * H)) if bias else ())
            out.append(Sample(u(L, N, I), *states, *ws, reverse=reverse))
        return out

    return samples


def _cell_samples(cell):
    G = _CELLS[cell].gates

    def samples(rng):
        def u(*shape):
            return rng.uniform(-0.8, 0.8, shape)

        N, I, H = 2, 3, 2
        return [
            Sample(u(N, I), u(N, H), u(G * H, I), u(G * H, H), u(G * H), u(G * H)),
            Sample(u(N, I), u(N, H), u(G * H, I), u(G * H, H)),  # no bias
            Sample(u(N, I), u(N, H), u(G * H, I), u(G * H, H), None, u(G * H)),
        ]

    return samples


for _name, _fn in (
    ("rnn_tanh", rnn_tanh_layer),
    ("rnn_relu", rnn_relu_layer),
    ("gru", gru_layer),
    ("lstm", lstm_layer),
):
    register(
        OpInfo(
            f"{_name}_layer",
            _fn,
            ref=_ref_layer(_name),
            samples=_layer_samples(_name),
            method=False,
            family="rnn",
            torch_fn=_torch_layer(_name),
        )
    )
register_functions(
    "rnn",
    [
        (fn.__name__, fn, _ref_cell(cell), _cell_samples(cell))
        for cell, fn in (
            ("rnn_tanh", rnn_tanh_cell),
            ("rnn_relu", rnn_relu_cell),
            ("gru", gru_cell),
        )
    ],
    functional=False,  # (torch.rnn_tanh_cell ...)
)
