"""autograd.cholesky (only the lower triangle is read, so finite differences go through a
symmetric parametrisation A = M M^T + n I, as torch's own tests do) against torch.linalg."""

import numpy as np
import pytest

import autograd

F64 = autograd.float64
rng = np.random.default_rng(11)


def _spd(m):
    """A symmetric positive-definite matrix (batch) from any square matrix (batch)."""
    n = m.shape[-1]
    return m @ m.transpose(-1, -2) + n * autograd.eye(n, dtype=m.dtype)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1), (0, 2, 2)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_matches_torch(shape, upper):
    torch = pytest.importorskip("torch")
    m = rng.standard_normal(shape)
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        ours_m = autograd.tensor(m.astype(dtype), requires_grad=True)
        theirs_m = torch.tensor(m.astype(dtype), requires_grad=True)
        ours = autograd.cholesky(_spd(ours_m), upper=upper)
        n = shape[-1]
        theirs = torch.linalg.cholesky(
            theirs_m @ theirs_m.mT + n * torch.eye(n, dtype=theirs_m.dtype), upper=upper
        )
        np.testing.assert_allclose(
            ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol
        )
        w = rng.standard_normal(shape).astype(dtype)
        (ours * autograd.tensor(w)).sum().backward()
        (theirs * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(
            ours_m.grad.numpy(), theirs_m.grad.numpy(), rtol=tol * 10, atol=tol * 10
        )


def test_cholesky_gradcheck_and_gradgradcheck():
    m = autograd.tensor(rng.standard_normal((2, 3, 3)), dtype=F64, requires_grad=True)
    assert autograd.gradcheck(lambda m: autograd.cholesky(_spd(m)), (m,))
    assert autograd.gradgradcheck(lambda m: autograd.cholesky(_spd(m), upper=True), (m,))
    # the factor's log-determinant, as MultivariateNormal uses it
    assert autograd.gradgradcheck(
        lambda m: autograd.cholesky(_spd(m)).diagonal(dim1=-2, dim2=-1).log().sum(), (m,)
    )


def test_cholesky_reads_the_lower_triangle_and_errors_as_torch():
    torch = pytest.importorskip("torch")
    a = np.array([[4.0, 100.0], [2.0, 5.0]])  # upper entry ignored
    np.testing.assert_allclose(
        autograd.cholesky(autograd.tensor(a)).numpy(),
        torch.linalg.cholesky(torch.tensor(a)).numpy(),
    )
    bad = [
        np.array([[1.0, 2.0], [2.0, 1.0]]),
        np.ones((2, 3)),
        np.ones(3),
        np.ones((2, 2), dtype=np.int64),
        np.array([[[1.0, 0], [0, 1]], [[1.0, 0], [0, -1]]]),
    ]
    for a in bad:
        with pytest.raises(RuntimeError) as theirs:
            torch.linalg.cholesky(torch.tensor(a))
        with pytest.raises(RuntimeError) as ours:
            autograd.cholesky(autograd.tensor(a))
        assert str(ours.value) == str(theirs.value)
    assert issubclass(autograd.ops.linalg.LinAlgError, RuntimeError)
    # a method too, as in torch
    np.testing.assert_allclose(autograd.tensor(a[0]).cholesky().numpy(), np.linalg.cholesky(a[0]))


def test_triangular_solve_errors_as_torch():
    torch = pytest.importorskip("torch")
    cases = [
        (np.ones(3), np.eye(3)),
        (np.ones((2, 1)), np.eye(3)),
        (np.ones((3, 1)), np.ones((2, 3))),
        (np.ones((3, 1)), np.eye(3, dtype=np.float32)),
    ]
    import warnings

    for b, a in cases:
        with pytest.raises(RuntimeError) as theirs, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.triangular_solve(torch.tensor(b), torch.tensor(a))
        with pytest.raises(RuntimeError) as ours:
            autograd.triangular_solve(autograd.tensor(b), autograd.tensor(a))
        assert str(ours.value) == str(theirs.value)
