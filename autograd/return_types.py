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

__all__ = ["max", "min", "sort", "topk", "median", "cummax", "cummin", "kthvalue", "mode",
           "aminmax", "triangular_solve", "nanmedian", "frexp", "histogram", "histogramdd"]


class _ReturnType(tuple):
    """A fixed-length tuple with named fields (``_fields``), printed the way torch does."""

    _fields: tuple = ()

    def __new__(cls, *values):
        if len(values) == 1 and len(cls._fields) != 1:  # built from one sequence
            values = tuple(values[0])
        if len(values) != len(cls._fields):
            raise TypeError(f"autograd.return_types.{cls.__name__} takes a sequence of "
                            f"{len(cls._fields)} elements ({', '.join(cls._fields)}), "
                            f"got {len(values)}")
        return super().__new__(cls, values)

    def __repr__(self):
        body = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"autograd.return_types.{type(self).__name__}(\n{body})"

    def __getnewargs__(self):
        return tuple(self)

    def _asdict(self) -> dict:
        return dict(zip(self._fields, self))


def _make(name: str, fields: tuple) -> type:
    props = {f: property(lambda self, i=i: tuple.__getitem__(self, i), doc=f"item {i}")
             for i, f in enumerate(fields)}
    return type(name, (_ReturnType,), {"_fields": fields, "__slots__": (), **props,
                                       "__doc__": f"Result of ``{name}``: ({', '.join(fields)})."})


_VI = ("values", "indices")
max = _make("max", _VI)  # noqa: A001 - torch's names
min = _make("min", _VI)  # noqa: A001
sort = _make("sort", _VI)
topk = _make("topk", _VI)
median = _make("median", _VI)
cummax = _make("cummax", _VI)
cummin = _make("cummin", _VI)
kthvalue = _make("kthvalue", _VI)
mode = _make("mode", _VI)
aminmax = _make("aminmax", ("min", "max"))
triangular_solve = _make("triangular_solve", ("solution", "cloned_coefficient"))
nanmedian = _make("nanmedian", _VI)
frexp = _make("frexp", ("mantissa", "exponent"))
histogram = _make("histogram", ("hist", "bin_edges"))
histogramdd = _make("histogramdd", ("hist", "bin_edges"))
