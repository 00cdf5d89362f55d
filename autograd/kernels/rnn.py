"""Gate maths of one time step of the recurrent cells (RNN tanh/relu, GRU, LSTM), forward
and backward, each in one pass over the batch.

The ops in ``autograd/ops/rnn.py`` run the time loop in Python: per step one BLAS product
``h @ W_hh^T`` (into ``gh``), then one of these kernels for everything elementwise (bias,
gate nonlinearities, the state update), and saving what the backward needs. The backward
step kernels turn the gradient of a step's output into the gradients of its gate
pre-activations (``dgi`` for the input projection, ``dgh`` for the hidden one); the
products with the weights stay with BLAS. The NumPy reference (``_gru_cell`` and friends in
ops/rnn.py) is the definition; these kernels do the same arithmetic in the same order.

Layouts (all C-contiguous, one dtype, H = hidden size, N = batch): the stacked gate
pre-activations ``gi``/``gh`` are (N, G*H) in torch's gate order (GRU: r, z, n; LSTM: i,
f, g, o); states are (N, H); ``ws`` is the step's saved work space, (N, S*H). The loops
run over samples (``prange``: each iteration writes its own rows) and, inside, over the H
units (each sample's row cut into 1-d slices per gate, so LLVM vectorises the loop).

Constants are ``T(1.0)`` with ``T`` the data's type: a bare ``1.0`` is float64 in Numba
and would turn float32 arithmetic into float64.
"""

from __future__ import annotations

import numba
import numpy as np

from .parallel import JIT_OPTIONS, kernel
from .vmath import vsigmoid, vtanh

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


# vmath's functions are inlined by Numba; several of them inlined into one loop body trip
# Numba's SSA checker (a NumbaIRAssumptionWarning, harmless but noisy), so the kernels call
# them through these one-line helpers, which LLVM inlines instead (same machine code).
@numba.njit(cache=True, **JIT_OPTIONS)
def _sigmoid(x):
    return vsigmoid(x)


@numba.njit(cache=True, **JIT_OPTIONS)
def _tanh(x):
    return vtanh(x)


def supports(*arrays) -> bool:
    """True when the kernels can take these arrays (None entries are ignored): one float
    dtype (float32 or float64)."""
    dts = {a.dtype for a in arrays if a is not None}
    return len(dts) == 1 and dts.pop() in FLOATS


# Each sample's row of stacked gates is cut into one 1-d slice per gate: LLVM vectorises a
# loop over 1-d slices, not the same loop written with 2-d indices and offsets.
@numba.njit(inline="always")
def _gates3(row, H):
    """A row of 3H values (GRU: r, z, n) as three 1-d slices of H."""
    return row[:H], row[H : 2 * H], row[2 * H :]


@numba.njit(inline="always")
def _gates4(row, H):
    """A row of 4H values (LSTM: i, f, g, o; GRU's work space) as four 1-d slices of H."""
    return row[:H], row[H : 2 * H], row[2 * H : 3 * H], row[3 * H :]


@numba.njit(inline="always")
def _gates5(row, H):
    """A row of 5H values (the LSTM work space: i, f, g, o, tanh(c')) as five slices of H."""
    return row[:H], row[H : 2 * H], row[2 * H : 3 * H], row[3 * H : 4 * H], row[4 * H :]


# ---- Elman RNN: h' = tanh(gi + gh + b) or relu(...) ----------------------------------------
@kernel
def rnn_tanh_forward_step(gi, gh, b, out):
    N, H = out.shape
    for n in numba.prange(N):
        gi_, gh_, o = gi[n], gh[n], out[n]
        for j in range(H):
            o[j] = _tanh(gi_[j] + (gh_[j] + b[j]))


@kernel
def rnn_relu_forward_step(gi, gh, b, out):
    N, H = out.shape
    zero = out.dtype.type(0.0)
    for n in numba.prange(N):
        gi_, gh_, o = gi[n], gh[n], out[n]
        for j in range(H):
            v = gi_[j] + (gh_[j] + b[j])
            o[j] = zero if v < zero else v  # keeps nan, like the relu kernel


@kernel
def rnn_tanh_backward_step(dy, dmm, h, dpre):
    """dpre = (dy + dmm) * (1 - h**2): dy is this step's output gradient, dmm the gradient
    reaching h through the next step's ``h @ W_hh^T``."""
    N, H = h.shape
    one = h.dtype.type(1.0)
    for n in numba.prange(N):
        dy_, dmm_, h_, d = dy[n], dmm[n], h[n], dpre[n]
        for j in range(H):
            d[j] = (dy_[j] + dmm_[j]) * (one - h_[j] * h_[j])


@kernel
def rnn_relu_backward_step(dy, dmm, h, dpre):
    N, H = h.shape
    zero = h.dtype.type(0.0)
    for n in numba.prange(N):
        dy_, dmm_, h_, d = dy[n], dmm[n], h[n], dpre[n]
        for j in range(H):
            d[j] = dy_[j] + dmm_[j] if h_[j] > zero else zero


# ---- GRU ------------------------------------------------------------------------------------
@kernel
def gru_forward_step(gi, gh, b, h, out, ws):
    """r = s(gi_r + gh_r), z = s(gi_z + gh_z), n = tanh(gi_n + r * gh_n) (gh including the
    bias b), h' = n + z * (h - n). Saves ws = [r, z, n, gh_n] (N, 4H)."""
    N, H = h.shape
    br, bz, bn = _gates3(b, H)
    for n in numba.prange(N):
        gir, giz, gin = _gates3(gi[n], H)
        ghr, ghz, ghn = _gates3(gh[n], H)
        wr, wz, wn, wh = _gates4(ws[n], H)
        h_, o = h[n], out[n]
        for j in range(H):
            r = _sigmoid(gir[j] + (ghr[j] + br[j]))
            z = _sigmoid(giz[j] + (ghz[j] + bz[j]))
            hn = ghn[j] + bn[j]
            c = _tanh(gin[j] + r * hn)
            o[j] = c + z * (h_[j] - c)
            wr[j], wz[j], wn[j], wh[j] = r, z, c, hn  # the work space [r, z, n, gh_n]


@kernel
def gru_backward_step(dy, dmm, dhz, h, ws, dgi, dgh):
    """The step's dh = dy + dmm + dhz (output gradient, through W_hh from the next step, and
    the direct path z * h from the next step); writes the gate gradients and replaces dhz
    by this step's direct part dh * z."""
    N, H = h.shape
    one = h.dtype.type(1.0)
    for n in numba.prange(N):
        wr, wz, wn, wh = _gates4(ws[n], H)
        dir_, diz, din = _gates3(dgi[n], H)
        dhr, dhz_, dhn = _gates3(dgh[n], H)
        dy_, dmm_, carry, h_ = dy[n], dmm[n], dhz[n], h[n]
        for j in range(H):
            dh = dy_[j] + dmm_[j] + carry[j]
            r, z, c = wr[j], wz[j], wn[j]
            dn = dh * (one - z) * (one - c * c)
            dz = dh * (h_[j] - c) * z * (one - z)
            dr = dn * wh[j] * r * (one - r)
            dir_[j] = dr
            diz[j] = dz
            din[j] = dn
            dhr[j] = dr
            dhz_[j] = dz
            dhn[j] = dn * r
            carry[j] = dh * z


# ---- LSTM -----------------------------------------------------------------------------------
@kernel
def lstm_forward_step(gi, gh, b, c, h_out, c_out, ws):
    """i, f, o = s(.), g = tanh(.) of gi + gh + b; c' = f * c + i * g; h' = o * tanh(c').
    Saves ws = [i, f, g, o, tanh(c')] (N, 5H)."""
    N, H = c.shape
    bi, bf, bg, bo = _gates4(b, H)
    for n in numba.prange(N):
        gii, gif, gig, gio = _gates4(gi[n], H)
        ghi, ghf, ghg, gho = _gates4(gh[n], H)
        wi, wf, wg, wo, wt = _gates5(ws[n], H)
        c_, ho, co = c[n], h_out[n], c_out[n]
        for j in range(H):
            i = _sigmoid(gii[j] + (ghi[j] + bi[j]))
            f = _sigmoid(gif[j] + (ghf[j] + bf[j]))
            g = _tanh(gig[j] + (ghg[j] + bg[j]))
            o = _sigmoid(gio[j] + (gho[j] + bo[j]))
            cn = f * c_[j] + i * g
            tc = _tanh(cn)
            co[j] = cn
            ho[j] = o * tc
            wi[j], wf[j], wg[j], wo[j], wt[j] = i, f, g, o, tc  # [i, f, g, o, tanh(c')]


@kernel
def lstm_backward_step(dy, dcy, dmm, dc, c, ws, dg):
    """dh = dy + dmm; dc' = dc + dcy + dh * o * (1 - tanh(c')**2) (dc: from the next step,
    dcy: the gradient of this step's c output); writes the gate gradients dg (N, 4H) and
    replaces dc by the gradient of the previous cell state, dc' * f."""
    N, H = c.shape
    one = c.dtype.type(1.0)
    for n in numba.prange(N):
        wi, wf, wg, wo, wt = _gates5(ws[n], H)
        di, df, dgg, do = _gates4(dg[n], H)
        dy_, dcy_, dmm_, dc_, c_ = dy[n], dcy[n], dmm[n], dc[n], c[n]
        for j in range(H):
            i, f, g, o, tc = wi[j], wf[j], wg[j], wo[j], wt[j]
            dh = dy_[j] + dmm_[j]
            dct = dc_[j] + dcy_[j] + dh * o * (one - tc * tc)
            di[j] = dct * g * i * (one - i)
            df[j] = dct * c_[j] * f * (one - f)
            dgg[j] = dct * i * (one - g * g)
            do[j] = dh * tc * o * (one - o)
            dc_[j] = dct * f


def warmup(dtype) -> None:
    """Compile (or load from the cache) every step kernel for one dtype."""
    N, H = 2, 3
    z = np.zeros((N, H), dtype)
    g3, g4 = np.zeros((N, 3 * H), dtype), np.zeros((N, 4 * H), dtype)
    for fwd, bwd in (
        (rnn_tanh_forward_step, rnn_tanh_backward_step),
        (rnn_relu_forward_step, rnn_relu_backward_step),
    ):
        fwd(z, z, z[0], z.copy())
        bwd(z, z, z, z.copy())
    ws = np.zeros((N, 4 * H), dtype)
    gru_forward_step(g3, g3, g3[0], z, z.copy(), ws)
    gru_backward_step(z, z, z.copy(), z, ws, g3.copy(), g3.copy())
    ws = np.zeros((N, 5 * H), dtype)
    lstm_forward_step(g4, g4, g4[0], z, z.copy(), z.copy(), ws)
    lstm_backward_step(z, z, z, z.copy(), z, ws, g4.copy())


__all__ = [
    "gru_backward_step",
    "gru_forward_step",
    "lstm_backward_step",
    "lstm_forward_step",
    "rnn_relu_backward_step",
    "rnn_relu_forward_step",
    "rnn_tanh_backward_step",
    "rnn_tanh_forward_step",
    "supports",
    "warmup",
]
