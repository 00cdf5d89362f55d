"""L-BFGS, optionally with a strong-Wolfe line search (mirrors ``torch.optim.LBFGS``).

L-BFGS is a quasi-Newton method: it never forms the Hessian, but keeps the last
``history_size`` pairs ``(s, y)`` -- a step taken and the change of the gradient it caused --
and turns the gradient into a search direction with the *two-loop recursion*, which
multiplies by an inverse-Hessian estimate built from those pairs. Each ``step(closure)`` runs
up to ``max_iter`` iterations and calls the closure (loss + backward) once per function
evaluation, so the closure is required.

The parameters are handled as one flat vector (every parameter's values, concatenated in
order). The arithmetic follows torch's implementation step by step -- scalars that torch
keeps as 0-d tensors (dot products, ``t``, ``ro``, ``H_diag``) are NumPy scalars of the
parameters' dtype here, which round the same way -- so trajectories and ``state_dict``s
agree with torch's.

Example:
    >>> import autograd, optim
    >>> w = autograd.tensor([1.5, -0.5], requires_grad=True)
    >>> opt = optim.LBFGS([w], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = ((w - 3.0) ** 2).sum()
    ...     loss.backward()
    ...     return loss
    >>> _ = opt.step(closure)
    >>> w
    tensor([3., 3.], requires_grad=True)
"""

import numpy as np

import autograd
from autograd import Tensor

from .optimizer import Optimizer, _array, _hyperparameters, _loaded_array
from autograd.dtypes import FLOAT_KINDS


def _to_scalar(x):
    """A 1-element Tensor hyper-parameter (``lr=autograd.tensor(0.1)``) as a Python number."""
    if isinstance(x, Tensor):
        return x.item()
    return x


class LBFGS(Optimizer):
    """Limited-memory BFGS (Nocedal & Wright, algorithm 7.5), as in torch.

    Args:
        params: the parameters (one group only, like torch).
        lr: step length multiplier (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: function evaluations per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when ``max |grad| <= tolerance_grad`` (default 1e-7).
        tolerance_change: stop when the loss or the step changes by less (default 1e-9).
        history_size: number of ``(s, y)`` pairs kept (default 100).
        line_search_fn: ``None`` (fixed step ``lr``) or ``"strong_wolfe"``.

    State (torch's keys, on the first parameter): ``func_evals``, ``n_iter``, ``d``, ``t``,
    ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``, ``al``.

    Example:
        >>> opt = optim.LBFGS(model.parameters(), lr=1, line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); return loss
        >>> opt.step(closure)
    """

    def __init__(
        self,
        params,
        lr=1,
        max_iter=20,
        max_eval=None,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=100,
        line_search_fn=None,
    ):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, _hyperparameters(locals()))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ---- the parameters as one flat vector ------------------------------------------------
    def _flat_grad(self) -> np.ndarray:
        """Every parameter's gradient, flattened and concatenated (zeros where None)."""
        return np.concatenate(
            [
                np.zeros(p.numel(), _array(p).dtype)
                if p.grad is None
                else _array(p.grad).reshape(-1)
                for p in self._params
            ]
        )

    def _add_to_params(self, t, d: np.ndarray) -> None:
        """``params += t * d``, in place (torch's ``p.add_(d, alpha=t)``)."""
        offset = 0
        for p in self._params:
            arr = _array(p)
            n = arr.size
            arr += (d[offset : offset + n] * t).reshape(arr.shape).astype(arr.dtype, copy=False)
            offset += n
        self._finish(self._params)

    def _copy_params(self):
        return [_array(p).copy() for p in self._params]

    def _set_params(self, values) -> None:
        for p, v in zip(self._params, values):
            _array(p)[...] = v
        self._finish(self._params)

    def _evaluate_at(self, closure, x0, t, d):
        """Loss and flat gradient at ``x0 + t * d``; the parameters are put back to ``x0``."""
        self._add_to_params(t, d)
        loss = float(closure())
        flat_grad = self._flat_grad()
        self._set_params(x0)
        return loss, flat_grad

    # ---- step -------------------------------------------------------------------------
    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss of the first closure call.

        ``closure`` must zero the gradients, compute the loss, call ``backward()`` and return
        the loss; it is called with gradient recording on, even inside ``no_grad``.
        """
        if closure is None:
            raise TypeError(
                "LBFGS.step() requires a closure that reevaluates the model and returns the loss"
            )
        with autograd.no_grad():
            return self._step(lambda: self._run_closure(closure))

    def _step(self, closure):
        group = self.param_groups[0]
        lr = _to_scalar(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        if line_search_fn not in (None, "strong_wolfe"):
            raise RuntimeError("only 'strong_wolfe' is supported")

        # All state is global; like torch it is stored under the first parameter, so that
        # state_dict()/load_state_dict() carry it.
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1

        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:  # already optimal
            return orig_loss

        mem = _Memory.load(state)
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # -- search direction: steepest descent first, then the two-loop recursion --
            if state["n_iter"] == 1:
                mem.reset(flat_grad)
            else:
                mem.update(flat_grad, history_size)
                mem.direction(flat_grad, history_size)
            mem.prev_flat_grad = flat_grad.copy()
            mem.prev_loss = loss

            # -- step length: a cautious first step, then lr --
            if state["n_iter"] == 1:
                mem.t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                mem.t = lr
            gtd = flat_grad.dot(mem.d)  # directional derivative
            if gtd > -tolerance_change:
                break

            if line_search_fn == "strong_wolfe":
                x0 = self._copy_params()
                loss, flat_grad, mem.t, ls_evals = _strong_wolfe(
                    lambda x, t, d: self._evaluate_at(closure, x, t, d),
                    x0,
                    mem.t,
                    mem.d,
                    loss,
                    flat_grad,
                    gtd,
                    max_ls=max_eval - current_evals,
                )
                self._add_to_params(mem.t, mem.d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_to_params(mem.t, mem.d)
                ls_evals = 0
                opt_cond = False
                if n_iter != max_iter:
                    # (the last iteration skips this evaluation: with a stochastic loss it
                    # would be wasted, and the next step() evaluates anyway)
                    loss = float(closure())
                    flat_grad = self._flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_evals = 1
            current_evals += ls_evals
            state["func_evals"] += ls_evals

            # -- stopping tests --
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(mem.d * mem.t).max() <= tolerance_change:  # the step is tiny
                break
            if abs(loss - mem.prev_loss) < tolerance_change:  # the loss stalls
                break

        mem.store(state)
        return orig_loss

    @staticmethod
    def _cast_state(param, name, value):
        # d, prev_flat_grad and the history are flat vectors over *all* parameters, so the
        # base class's per-parameter shape check does not apply; only the dtype follows.
        arr = _loaded_array(value)
        if arr is not None:
            if arr.dtype.kind in FLOAT_KINDS:
                arr = arr.astype(_array(param).dtype, copy=False)
            return Tensor._make(arr)
        if isinstance(value, (list, tuple)):
            return [LBFGS._cast_state(param, name, v) for v in value]
        return value


class _Memory:
    """The L-BFGS working set between iterations and steps, as NumPy arrays and scalars.

    ``old_dirs`` holds the gradient changes ``y``, ``old_stps`` the steps ``s``, ``ro`` the
    ``1 / y.s``; ``H_diag`` scales the initial inverse-Hessian estimate; ``al`` is the
    two-loop recursion's scratch list (kept in the state because torch keeps it there).
    """

    _KEYS = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss")

    @classmethod
    def load(cls, state):
        mem = cls()
        for key in cls._KEYS:
            setattr(mem, key, _from_state(state.get(key)))
        mem.al = _from_state(state.get("al"))
        return mem

    def store(self, state):
        for key in self._KEYS:
            state[key] = _to_state(getattr(self, key))
        if self.al is not None:
            state["al"] = _to_state(self.al)

    def reset(self, flat_grad):
        self.d = -flat_grad
        self.old_dirs, self.old_stps, self.ro = [], [], []
        self.H_diag = 1

    def update(self, flat_grad, history_size):
        """Add the newest curvature pair, if it keeps the estimate positive definite."""
        y = flat_grad - self.prev_flat_grad
        s = self.d * self.t
        ys = y.dot(s)
        if ys > 1e-10:
            if len(self.old_dirs) == history_size:  # forget the oldest pair
                del self.old_dirs[0], self.old_stps[0], self.ro[0]
            self.old_dirs.append(y)
            self.old_stps.append(s)
            self.ro.append(1.0 / ys)
            self.H_diag = ys / y.dot(y)

    def direction(self, flat_grad, history_size):
        """``d = -H g`` by the two-loop recursion (one buffer for both loops)."""
        if self.al is None:
            self.al = [None] * history_size
        al = self.al
        q = -flat_grad
        for i in range(len(self.old_dirs) - 1, -1, -1):
            al[i] = self.old_stps[i].dot(q) * self.ro[i]
            q -= self.old_dirs[i] * al[i]
        r = q * self.H_diag
        for i in range(len(self.old_dirs)):
            be_i = self.old_dirs[i].dot(r) * self.ro[i]
            r += self.old_stps[i] * (al[i] - be_i)
        self.d = r


def _to_state(v):
    """Arrays and NumPy scalars become Tensors (torch's state holds tensors there)."""
    if isinstance(v, list):
        return [_to_state(x) for x in v]
    if isinstance(v, (np.ndarray, np.generic)):
        return Tensor._make(np.asarray(v))
    return v


def _from_state(v):
    if isinstance(v, list):
        return [_from_state(x) for x in v]
    if isinstance(v, Tensor):
        arr = _array(v)
        return arr[()] if arr.ndim == 0 else arr.copy()
    return v


# ---- strong-Wolfe line search (Nocedal & Wright, algorithms 3.5 and 3.6) ------------------
def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through two points with values ``f`` and slopes ``g``, clipped
    to ``bounds`` (default: between the points); the bounds' midpoint if it has none."""
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = np.sqrt(d2_square)
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, lo), hi)


class _Point:
    """A trial step length with its loss, gradient and directional derivative."""

    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t, f, g, gtd):
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def _strong_wolfe(evaluate, x0, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Find a step ``t`` along ``d`` with sufficient decrease (``c1``) and a small enough slope
    (``c2``). Returns ``(loss, flat_grad, t, evaluations)``."""
    d_norm = np.abs(d).max()
    start = _Point(0, f, g.copy(), gtd)

    def trial(t):
        f_new, g_new = evaluate(x0, t, d)
        return _Point(t, f_new, g_new, g_new.dot(d))

    # Phase 1 (bracketing): grow t until an interval surely holds an acceptable step.
    new = trial(t)
    evals, ls_iter = 1, 0
    prev = start
    bracket, done = None, False
    while ls_iter < max_ls:
        if new.f > f + c1 * new.t * gtd or (ls_iter > 1 and new.f >= prev.f):
            bracket = [prev, new]
            break
        if abs(new.gtd) <= -c2 * gtd:  # new.t already satisfies both conditions
            bracket, done = [new], True
            break
        if new.gtd >= 0:
            bracket = [prev, new]
            break
        # extrapolate: the cubic's minimiser, at least a little and at most 10x further
        t_next = _cubic_interpolate(
            prev.t,
            prev.f,
            prev.gtd,
            new.t,
            new.f,
            new.gtd,
            bounds=(new.t + 0.01 * (new.t - prev.t), new.t * 10),
        )
        prev = new
        new = trial(t_next)
        evals += 1
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [_Point(0, f, g, None), new]

    # Phase 2 (zoom): shrink the bracket until its low end satisfies the conditions.
    insufficient_progress = False
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    while not done and ls_iter < max_ls:
        a, b = bracket[0].t, bracket[1].t
        if abs(b - a) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(a, bracket[0].f, bracket[0].gtd, b, bracket[1].f, bracket[1].gtd)
        # A trial too close to an end of the bracket makes little progress: after two such
        # trials in a row (or one outside the bracket) move it 10% of the width inside.
        top, bottom = max(a, b), min(a, b)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:
            if insufficient_progress or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False

        new = trial(t)
        evals += 1
        ls_iter += 1
        if new.f > f + c1 * t * gtd or new.f >= bracket[low].f:
            bracket[high] = new  # not low enough: new upper end
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if abs(new.gtd) <= -c2 * gtd:
                done = True  # strong Wolfe conditions hold
            elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]  # the old low end becomes the high end
            bracket[low] = new
    best = bracket[low]
    return best.f, best.g, best.t, evals
