"""The public signatures of ``nn`` (module ``__init__``/``forward``), ``nn.functional`` and
``nn.init`` stay as they are: a refactor that shares code between modules must not change
what ``help()`` and ``inspect.signature`` show (snapshot: ``nn_signatures.json``). Each one
has torch 2.13's parameter names, kinds and defaults, except the ones listed there.

A new public name is allowed; run this file as a script to take it into the snapshot."""

import inspect
import json
import os

import pytest

import nn
import nn.functional as F
import nn.init as init

SNAPSHOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn_signatures.json")


def _public(namespace, prefix):
    for name in sorted(dir(namespace)):
        obj = getattr(namespace, name)
        if name.startswith("_"):
            continue
        if isinstance(obj, type) and issubclass(obj, nn.Module):
            yield f"{prefix}{name}.__init__", obj.__init__
            yield f"{prefix}{name}.forward", obj.forward
        elif inspect.isfunction(obj):
            yield f"{prefix}{name}", obj


def _ours():
    """{'nn.Linear.__init__': the callable, ...} for every public signature."""
    return dict([*_public(nn, "nn."), *_public(F, "F."), *_public(init, "init.")])


def _names_and_defaults(fn):
    # torch annotates its parameters and we mostly do not: compare names, kinds, defaults
    return [(p.name, p.kind, repr(p.default)) for p in inspect.signature(fn).parameters.values()]


def _differs_from_torch(torch, key, ours):
    """True / False, or None where torch has no such name or it has no signature."""
    prefix, *parts = key.split(".")
    theirs = {"nn": torch.nn, "F": torch.nn.functional, "init": torch.nn.init}[prefix]
    for part in parts:
        theirs = getattr(theirs, part, None)
    if theirs is None:
        return None
    try:
        return _names_and_defaults(ours) != _names_and_defaults(theirs)
    except (TypeError, ValueError):  # a builtin without a signature
        return None


def _load():
    with open(SNAPSHOT) as f:
        return json.load(f)


def test_signatures_unchanged():
    expected = _load()["signatures"]
    ours = {key: str(inspect.signature(fn)) for key, fn in _ours().items()}
    assert {key: ours.get(key) for key in expected} == expected


def test_signatures_match_torch():
    torch = pytest.importorskip("torch")
    known = set(_load()["differ_from_torch"])
    compared = 0
    for key, fn in _ours().items():
        differs = _differs_from_torch(torch, key, fn)
        if differs is not None and key not in known:
            assert not differs, key
            compared += 1
    assert compared > 300


if __name__ == "__main__":
    import torch

    ours = _ours()
    snapshot = {
        "differ_from_torch": [
            key for key, fn in ours.items() if _differs_from_torch(torch, key, fn)
        ],
        "signatures": {key: str(inspect.signature(fn)) for key, fn in ours.items()},
    }
    with open(SNAPSHOT, "w") as f:
        json.dump(snapshot, f, indent=1, sort_keys=True)
        f.write("\n")
