"""Issue 3's benchmark goals, reported in one line each so bench/run_all.py can build the
summary table at the top of RESULTS.md.

A bench calls ``goal("MLP step, batch 32 (numba / torch)", 0.71, "<=", 0.8)``; the line it
prints starts with ``GOAL|`` and is also readable on its own.
"""
from __future__ import annotations


def goal(what: str, value: float, op: str, target: float, unit: str = "") -> bool:
    met = value <= target if op == "<=" else value >= target
    print(f"GOAL|{what}|{value:.2f}{unit}|{op} {target:g}{unit}|{'met' if met else 'not met'}")
    return met


def parse(text: str):
    """The (what, measured, goal, met) rows in a bench's output."""
    return [tuple(line.split("|")[1:5]) for line in text.splitlines() if line.startswith("GOAL|")]
