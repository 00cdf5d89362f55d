"""The optimizer step's per-group memo of its routine's keyword arguments (``_KwargsMemo``)
and the kernels' cheap ``supports`` check give exactly what the general path gives.

A step reuses the keyword arguments it built for a group at the previous step while the
group's hyper-parameters are the very same objects. Each test below changes something the
arguments depend on between steps (``group["lr"]``, a list ``betas`` changed in place, a value
replaced by an equal one of another type, ``load_state_dict``, a new group, ``p.data``) and
checks, bit for bit, against the same training run with the memo switched off (every step
builds its arguments afresh: the general path). The ``stale`` tests show that a memo that
ignored the change would give other numbers, so they fail if the invalidation is removed.
"""

import copy

import numpy as np
import pytest

import autograd
import optim
from autograd.kernels import optim as K
from optim import _functional as F
from optim import optimizer as O


class _NoMemo(O._KwargsMemo):
    """The general path: the arguments built afresh at every step."""

    def get(self, routine, group, workspace):
        return O._routine_kwargs(routine, group, workspace)


class _StaleMemo(O._KwargsMemo):
    """A broken memo that hands out the first arguments it built for a routine, whatever
    changed since (the group, its values, the optimizer's state): what the real memo must
    never do. Used to show that each scenario below would notice a stale memo."""

    def get(self, routine, group, workspace):
        if routine not in self._entries:
            self._entries[routine] = O._routine_kwargs(routine, group, workspace)
        return self._entries[routine]

    def clear(self):
        pass


def _params(dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    w = autograd.tensor(rng.standard_normal((7, 5)).astype(dtype), requires_grad=True)
    b = autograd.tensor(rng.standard_normal(5).astype(dtype), requires_grad=True)
    return [w, b]


def _set_grads(params, rng):
    for p in params:
        a = p.detach().numpy()
        p.grad = autograd.tensor((np.tanh(3 * a) + rng.standard_normal(a.shape)).astype(a.dtype))


def _train(name, kwargs, memo_cls, change, steps=12, backend="numba", dtype=np.float32):
    """``steps`` steps; ``change(opt, params, i)`` runs before step ``i``. Returns the
    parameters' values (copies) after every step."""
    params = _params(dtype)
    opt = getattr(optim, name)(params, lr=0.01, **kwargs)
    opt._kwargs_memo = memo_cls()
    rng = np.random.default_rng(1)
    out = []
    with autograd.backend(backend):
        for i in range(steps):
            params = change(opt, params, i) or params
            _set_grads(params, rng)
            opt.step()
            out.append([p.detach().numpy().copy() for p in params])
    return out


def _assert_same(a, b):
    assert len(a) == len(b)
    for step_a, step_b in zip(a, b):
        for x, y in zip(step_a, step_b):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)


def _differs(a, b):
    return any(
        x.dtype != y.dtype or not np.array_equal(x, y)
        for step_a, step_b in zip(a, b)
        for x, y in zip(step_a, step_b)
    )


CONFIGS = [
    ("Adam", {}),
    ("AdamW", {"weight_decay": 0.05}),
    ("Adam", {"amsgrad": True}),
    ("SGD", {"momentum": 0.9}),
    ("RMSprop", {"centered": True}),
    ("Adagrad", {"lr_decay": 0.01}),
    ("Adamax", {}),
    ("NAdam", {}),
]
IDS = [f"{n}-{k}" for n, k in CONFIGS]


def _new_lr(opt, params, i):
    if i == 4:
        opt.param_groups[0]["lr"] = 0.2  # (as a scheduler does)
    if i == 8:
        opt.param_groups[0]["lr"] *= 0.5


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_memo_matches_general_path_with_lr_changes(name, kwargs, backend):
    fast = _train(name, kwargs, O._KwargsMemo, _new_lr, backend=backend)
    general = _train(name, kwargs, _NoMemo, _new_lr, backend=backend)
    _assert_same(fast, general)
    assert _differs(_train(name, kwargs, _StaleMemo, _new_lr, backend=backend), general)


def test_memo_is_reused_while_nothing_changes_and_rebuilt_after_a_change():
    (w, b) = _params()
    opt = optim.Adam([w, b], lr=0.01)
    group = opt.param_groups[0]
    first = opt._kwargs_memo.get(F.adam, group, opt._workspace)
    assert opt._kwargs_memo.get(F.adam, group, opt._workspace) is first
    group["lr"] = 0.5
    again = opt._kwargs_memo.get(F.adam, group, opt._workspace)
    assert again is not first and again["lr"] == 0.5
    assert again == O._routine_kwargs(F.adam, group, opt._workspace)
    # another workspace (a copied optimizer gets its own) is not served the old one's
    other = opt._kwargs_memo.get(F.adam, group, {})
    assert other["workspace"] is not opt._workspace


def _betas_list_changed_in_place(opt, params, i):
    if i == 0:
        opt.param_groups[0]["betas"] = [0.9, 0.999]
    if i == 5:
        opt.param_groups[0]["betas"][0] = 0.3  # the same list object, another value


def test_mutable_hyperparameter_changed_in_place_is_seen():
    fast = _train("Adam", {}, O._KwargsMemo, _betas_list_changed_in_place)
    general = _train("Adam", {}, _NoMemo, _betas_list_changed_in_place)
    _assert_same(fast, general)
    assert _differs(_train("Adam", {}, _StaleMemo, _betas_list_changed_in_place), general)


def _equal_value_of_another_type(opt, params, i):
    # 0.01 == np.float64(0.01), but a NumPy float64 scalar is not "weak" in NumPy's
    # arithmetic: the NumPy path computes float32 updates in float64 and rounds them, so
    # the numbers differ. The memo compares by identity, not equality.
    if i == 5:
        opt.param_groups[0]["lr"] = np.float64(opt.param_groups[0]["lr"])


def test_equal_value_of_another_type_is_not_taken_for_the_old_one():
    def run(memo_cls):
        change = _equal_value_of_another_type
        return _train("SGD", {"momentum": 0.9}, memo_cls, change, backend="numpy")

    general = run(_NoMemo)
    _assert_same(run(O._KwargsMemo), general)
    # a memo that compared with == would keep the Python float: other numbers
    assert _differs(run(_StaleMemo), general)


def _reload(opt, params, i):
    if i == 4:
        sd = copy.deepcopy(opt.state_dict())
        sd["param_groups"][0]["lr"] = 0.3
        sd["param_groups"][0]["weight_decay"] = 0.1
        opt.load_state_dict(sd)


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_memo_after_load_state_dict(name, kwargs):
    fast = _train(name, kwargs, O._KwargsMemo, _reload)
    general = _train(name, kwargs, _NoMemo, _reload)
    _assert_same(fast, general)
    assert _differs(_train(name, kwargs, _StaleMemo, _reload), general)


def _add_group(opt, params, i):
    if i == 3:
        extra = autograd.tensor(np.linspace(-1, 1, 6, dtype=np.float32), requires_grad=True)
        opt.add_param_group({"params": [extra], "lr": 0.05})
        return [*params, extra]
    if i == 7:
        opt.param_groups[1]["lr"] = 0.5
    return None


def test_memo_with_an_added_param_group():
    fast = _train("Adam", {}, O._KwargsMemo, _add_group)
    general = _train("Adam", {}, _NoMemo, _add_group)
    _assert_same(fast, general)
    assert _differs(_train("Adam", {}, _StaleMemo, _add_group), general)


def _replace_data(opt, params, i):
    w, b = params
    if i == 3:  # a new array of the same dtype (e.g. re-initialised weights)
        w.data = autograd.tensor(np.full(w.shape, 0.25, np.float32))
    if i == 6:  # a float64 parameter with float32 state: the kernels refuse, NumPy runs
        b.data = b.data.double()
    if i == 9:  # a non-contiguous array under the tensor
        w.data = autograd.tensor(np.asfortranarray(w.detach().numpy()))


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_replaced_data_and_dtype_change_match_the_numpy_reference(name, kwargs):
    # the fused kernels and the NumPy routines agree bit for bit, so the numba run (fast
    # paths: memo, kernels where they apply) must equal the numpy run (general path)
    fast = _train(name, kwargs, O._KwargsMemo, _replace_data, backend="numba")
    general = _train(name, kwargs, _NoMemo, _replace_data, backend="numpy")
    _assert_same(fast, general)


def test_copied_optimizer_gets_its_own_memo_and_workspace():
    params = _params()
    opt = optim.Adam(params, lr=0.01)
    _set_grads(params, np.random.default_rng(2))
    opt.step()
    clone = copy.deepcopy(opt)
    assert clone._kwargs_memo is not opt._kwargs_memo
    assert clone._workspace is not opt._workspace
    kwargs = clone._kwargs_memo.get(F.adam, clone.param_groups[0], clone._workspace)
    assert kwargs["workspace"] is clone._workspace


# ---- the kernels' supports check -----------------------------------------------------
def _reference_supports(*arrays):
    """The rule, spelled out: one float32/float64 dtype, all C-contiguous, all but the
    gradient (``arrays[1]``) writeable."""
    dt = arrays[0].dtype
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        return False
    return all(
        a.dtype == dt and a.flags.c_contiguous and (k == 1 or a.flags.writeable)
        for k, a in enumerate(arrays)
    )


def _unaligned(n, dtype):
    raw = np.zeros(n * np.dtype(dtype).itemsize + 1, np.uint8)
    a = raw[1:].view(dtype)
    assert not a.flags.aligned
    return a


def _read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


def _supports_cases():
    z = np.zeros(6, np.float32)
    d = np.zeros(6, np.float64)
    h = np.zeros(6, np.float16)
    strided = np.zeros(12, np.float32)[::2]
    fortran = np.asfortranarray(np.zeros((2, 3), np.float32))
    return {
        "plain": (z, z.copy(), z.copy(), z.copy()),
        "float64": (d, d.copy(), d.copy()),
        "float16": (h, h.copy(), h.copy()),
        "mixed": (z, z.copy(), d),
        "read-only grad": (z, _read_only(z), z.copy()),
        # the gradient breaks the fast scan; the last array's dtype must still be checked
        "read-only grad, then float64": (z, _read_only(z), z.copy(), d),
        "read-only param": (_read_only(z), z.copy(), z.copy()),
        "read-only state": (z, z.copy(), _read_only(z)),
        "strided grad": (z, strided, z.copy()),
        "strided state": (z, z.copy(), strided),
        "fortran": (fortran, fortran.copy(order="F"), fortran.copy(order="F")),
        "unaligned grad": (z, _unaligned(6, np.float32), z.copy()),
        "unaligned param": (_unaligned(6, np.float32), z.copy(), z.copy()),
        "unaligned state, then float64": (z, z.copy(), _unaligned(6, np.float32), d),
        "int": (np.zeros(6, np.int64),) * 3,
    }


@pytest.mark.parametrize("case", list(_supports_cases()))
def test_supports_gives_the_rule_s_answer(case):
    arrays = _supports_cases()[case]
    assert K.supports(*arrays) == _reference_supports(*arrays)
