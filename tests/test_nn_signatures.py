"""The public signatures of ``nn`` (module ``__init__``/``forward``), ``nn.functional`` and
``nn.init`` stay as they are: a refactor that shares code between modules must not change
what ``help()`` and ``inspect.signature`` show (snapshot: ``nn_signatures.json``). Each one
has torch 2.13's parameter names, kinds and defaults, except the ones listed there."""

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


def _names_and_defaults(sig):
    # torch annotates its parameters and we mostly do not: compare names, kinds, defaults
    return [(p.name, p.kind, repr(p.default)) for p in sig.parameters.values()]


def _ours():
    items = [*_public(nn, "nn."), *_public(F, "F."), *_public(init, "init.")]
    return {name: str(inspect.signature(obj)) for name, obj in items}


def test_signatures_unchanged():
    with open(SNAPSHOT) as f:
        expected = json.load(f)["signatures"]
    assert _ours() == expected


def test_signatures_match_torch():
    torch = pytest.importorskip("torch")
    with open(SNAPSHOT) as f:
        known = set(json.load(f)["differ_from_torch"])
    spaces = {"nn.": torch.nn, "F.": torch.nn.functional, "init.": torch.nn.init}
    checked = 0
    ours_by_key = {
        name: inspect.signature(obj)
        for name, obj in [*_public(nn, "nn."), *_public(F, "F."), *_public(init, "init.")]
    }
    for key in ours_by_key:
        prefix, _, rest = key.partition(".")
        theirs = spaces[prefix + "."]
        for part in rest.split("."):
            theirs = getattr(theirs, part, None)
        if theirs is None or key in known:
            continue
        try:
            expected = _names_and_defaults(inspect.signature(theirs))
        except (TypeError, ValueError):  # a builtin without a signature
            continue
        assert _names_and_defaults(ours_by_key[key]) == expected, key
        checked += 1
    assert checked > 300
