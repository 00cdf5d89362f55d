"""Adversarial review of the eighth session's changes: each test failed before its fix."""

import pytest

import autograd


def test_where_with_an_int_the_integer_type_cannot_hold_raises_like_torch():
    # wrapping Python ints modulo 2**bits (right for arithmetic) made where() wrap silently:
    # where(c, uint8, 300) gave 44 where torch refuses the value
    u = autograd.tensor([0, 1, 3, 100], dtype=autograd.uint8)
    i = autograd.tensor([0, 1, 3, 100], dtype=autograd.int32)
    for t, v, name in [(u, 300, "uint8_t"), (u, 2**31, "uint8_t"), (i, 2**31, "int")]:
        with pytest.raises(RuntimeError, match=f"converted to type {name} without overflow"):
            autograd.where(t > 1, t, v)
        with pytest.raises(RuntimeError, match=f"converted to type {name} without overflow"):
            autograd.where(t > 1, v, t)
    # what torch takes: -1 is 255 in uint8, an int in range, a float tensor
    assert autograd.where(u > 1, -1, u).tolist() == [0, 1, 255, 255]
    assert autograd.where(i > 1, i, -7).tolist() == [-7, -7, 3, 100]
    f = autograd.tensor([0.5, 2.0])
    assert autograd.where(f > 1, f, 2**40).tolist() == [2.0**40, 2.0]


def test_add_sub_alpha_the_integer_type_cannot_hold_raises_like_torch():
    # alpha=300 on uint8 scaled by 44 silently (torch refuses it); alpha=-1 wraps in torch too
    u = autograd.tensor([0, 1, 3, 100], dtype=autograd.uint8)
    i = autograd.tensor([0, 1, 3, 100], dtype=autograd.int32)
    for op, t, a, name in [
        (autograd.add, u, 300, "uint8_t"),
        (autograd.sub, u, 256, "uint8_t"),
        (autograd.add, i, 2**31, "int"),
        (autograd.sub, i, -(2**31), "int"),  # torch checks -alpha for sub
        (lambda x, y, alpha: x.clone().add_(y, alpha=alpha), u, -256, "uint8_t"),
    ]:
        with pytest.raises(RuntimeError, match=f"converted to type {name} without overflow"):
            op(t, t, alpha=a)
    assert autograd.add(u, u, alpha=-1).tolist() == [0, 0, 0, 0]
    assert autograd.add(u, u, alpha=3).tolist() == [0, 4, 12, 144]
    assert autograd.sub(u, u, alpha=255).tolist() == [0, 2, 6, 200]
    assert autograd.sub(i, i, alpha=2**31).tolist() == [0, -(2**31) + 1, -(2**31) + 3, 100]
    assert i.clone().sub_(i, alpha=2**31).tolist() == [0, -(2**31) + 1, -(2**31) + 3, 100]
