"""Named result tuples of reductions and sorting, like ``torch.return_types``.

``x.max(dim=1)`` returns a ``max`` result: a tuple ``(values, indices)`` whose items can
also be read by name. It unpacks like a tuple, so both styles work.

Example:
    >>> import autograd
    >>> r = autograd.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
    >>> r.values, r.indices
    (tensor([5., 7.]), tensor([1, 0]))
    >>> values, indices = r
"""

from __future__ import annotations

__all__ = [
    "max",
    "min",
    "sort",
    "topk",
    "median",
    "cummax",
    "cummin",
    "kthvalue",
    "mode",
    "aminmax",
    "triangular_solve",
    "linalg_slogdet",
    "linalg_qr",
    "linalg_svd",
    "linalg_eigh",
    "linalg_lstsq",
    "linalg_inv_ex",
    "linalg_solve_ex",
    "linalg_cholesky_ex",
    "slogdet",
    "svd",
    "qr",
    "nanmedian",
    "frexp",
    "histogram",
    "histogramdd",
]


class _ReturnType(tuple):
    """A fixed-length tuple with named fields (``_fields``), printed the way torch does."""

    _fields: tuple = ()

    def __new__(cls, *values):
        if len(values) == 1 and len(cls._fields) != 1:  # built from one sequence
            values = tuple(values[0])
        if len(values) != len(cls._fields):
            raise TypeError(
                f"autograd.return_types.{cls.__name__} takes a sequence of "
                f"{len(cls._fields)} elements ({', '.join(cls._fields)}), "
                f"got {len(values)}"
            )
        return super().__new__(cls, values)

    def __repr__(self):
        body = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"autograd.return_types.{type(self).__name__}(\n{body})"

    def __getnewargs__(self):
        return tuple(self)

    def _asdict(self) -> dict:
        return dict(zip(self._fields, self))


def _make(name: str, fields: tuple) -> type:
    props = {
        f: property(lambda self, i=i: tuple.__getitem__(self, i), doc=f"item {i}")
        for i, f in enumerate(fields)
    }
    return type(
        name,
        (_ReturnType,),
        {
            "_fields": fields,
            "__slots__": (),
            **props,
            "__doc__": f"Result of ``{name}``: ({', '.join(fields)}).",
        },
    )


_VI = ("values", "indices")
max = _make("max", _VI)  # torch's names
min = _make("min", _VI)
sort = _make("sort", _VI)
topk = _make("topk", _VI)
median = _make("median", _VI)
cummax = _make("cummax", _VI)
cummin = _make("cummin", _VI)
kthvalue = _make("kthvalue", _VI)
mode = _make("mode", _VI)
aminmax = _make("aminmax", ("min", "max"))
triangular_solve = _make("triangular_solve", ("solution", "cloned_coefficient"))
# linear algebra (autograd.linalg and torch's svd, qr)
linalg_slogdet = _make("linalg_slogdet", ("sign", "logabsdet"))
slogdet = _make("slogdet", ("sign", "logabsdet"))
linalg_qr = _make("linalg_qr", ("Q", "R"))
qr = _make("qr", ("Q", "R"))
linalg_svd = _make("linalg_svd", ("U", "S", "Vh"))
svd = _make("svd", ("U", "S", "V"))
linalg_eigh = _make("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_lstsq = _make("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
linalg_inv_ex = _make("linalg_inv_ex", ("inverse", "info"))
linalg_solve_ex = _make("linalg_solve_ex", ("result", "info"))
linalg_cholesky_ex = _make("linalg_cholesky_ex", ("L", "info"))
nanmedian = _make("nanmedian", _VI)
frexp = _make("frexp", ("mantissa", "exponent"))
histogram = _make("histogram", ("hist", "bin_edges"))
histogramdd = _make("histogramdd", ("hist", "bin_edges"))
