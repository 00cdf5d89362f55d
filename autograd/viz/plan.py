"""``autograd.viz.draw(compiled)``: the plan of a compiled function as a DOT picture.

One box per step of the plan (``compiled.plan`` is the same program as source): the arrays it
reads from outside (inputs, parameters, constants) as ovals, forward steps, the VJP calls of
its backward passes, gradients stored into ``.grad``, and the optimizer's disabled calls.
An arrow is an array handed from one step to the next (dashed: values a forward step saved
for its VJP). Steps replaced by one generated Numba kernel are drawn inside one cluster.
"""

from __future__ import annotations

from .dot import _q, esc

_STYLE = {  # kind -> (shape, fill)
    "input": ("ellipse", "#fff3cd"),
    "external": ("ellipse", "#fff3cd"),
    "const": ("ellipse", "#f5f5f5"),
    "forward": ("box", "#e8eef7"),
    "backward": ("box", "#fde2cf"),
    "seed": ("diamond", "#ffffff"),
    "grad": ("note", "#d9f2d9"),
    "call": ("component", "#eeeeee"),
    "derive": ("box", "#f5f5f5"),
    "write": ("box", "#f5f5f5"),
}


def compiled_plan(obj):
    """The plan ``obj`` replayed last (else the one its last trace built), if ``obj`` is a
    compiled function or a compiled module; None if it is neither; raises if it has none."""
    compiled = obj.__dict__.get("_compiled_call") if hasattr(obj, "__dict__") else None
    if compiled is None and hasattr(obj, "last_plan") and hasattr(obj, "_cache"):
        compiled = obj
    if compiled is None:
        return None
    plan = compiled.last_plan or compiled.traced_plan
    if plan is None:
        raise ValueError(
            f"viz.draw: {compiled!r} has no plan to draw: call it first (the first call "
            "traces it; a call that fell back to eager mode has no plan)"
        )
    return plan


def plan_dot(plan, title=None, rankdir="TB") -> tuple[str, int]:
    """DOT text of ``plan`` (its ``boxes``) and the number of boxes drawn."""
    out = [
        "digraph plan {",
        f"  rankdir={rankdir}; nodesep=0.25; ranksep=0.3;",
        '  node [fontname="Helvetica", fontsize=10, style="filled,rounded", margin="0.08,0.03"];',
        '  edge [color="#555555", arrowsize=0.6];',
    ]
    if title:
        out.append(f"  labelloc=t; label={_q(title)};")
    writers: dict = {}  # variable -> the boxes whose values it holds now
    edges, groups, stmts = [], {}, []
    for i, b in enumerate(plan.boxes):
        shape, fill = _STYLE.get(b.kind, ("box", "#ffffff"))
        label = f"<<B>{esc(b.label)}</B>"
        if b.detail:
            label += f'<BR/><FONT POINT-SIZE="8">{esc(b.detail)}</FONT>'
        stmts.append(f"n{i} [shape={shape}, fillcolor={_q(fill)}, label={label}>];")
        if b.group is not None:
            groups.setdefault(b.group, []).append(i)
        for var in b.reads:
            for j in writers.get(var, ()):
                saved = var.startswith("c")  # a ctx: values saved for the VJP
                edges.append((j, i, saved))
            if _is_grad(var) and b.kind in ("backward", "grad"):
                writers.pop(var, None)  # (sent on: the next value starts a new sum)
        for var in b.writes:
            if _is_grad(var):
                writers.setdefault(var, []).append(i)
            else:
                writers[var] = [i]
    in_group = {i for members in groups.values() for i in members}
    out.extend("  " + s for i, s in enumerate(stmts) if i not in in_group)
    for g, members in groups.items():
        name = plan.kernel_names[g] if g < len(plan.kernel_names) else str(g)
        out.append(f"  subgraph cluster_fused{g} {{")
        out.append(f'    label={_q("fused: " + name)}; style="rounded,filled";')
        out.append('    fillcolor="#fafafa"; color="#2b6cb0"; fontsize=9;')
        out.extend("    " + stmts[i] for i in members)
        out.append("  }")
    seen = set()
    for j, i, saved in edges:
        if (j, i) in seen or j == i:
            continue
        seen.add((j, i))
        out.append(f"  n{j} -> n{i}" + (' [style=dashed, color="#999999"];' if saved else ";"))
    out.append("}")
    return "\n".join(out) + "\n", len(plan.boxes)


def _is_grad(var: str) -> bool:
    """Gradient variables (g3, g_x0, b0) sum what several VJPs send them."""
    return var[:1] in ("g", "b") and (var[1:2].isdigit() or var[1:2] == "_")
