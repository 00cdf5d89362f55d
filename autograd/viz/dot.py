"""Build Graphviz DOT text for an autograd graph (pure Python: no ``dot`` program needed).

Pipeline: :class:`~autograd.viz._graph.GraphData` (what the graph is) -> *boxes* (what is
drawn: one per node, or one per collapsed module / chain / truncated remainder) -> DOT.

Edges always point the way data flowed in forward (inputs above, outputs below), so the
layout is the same in every mode; in ``show='backward'`` the arrowheads are reversed
(``dir=back``) to show gradients travelling from the output to the leaves.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from typing import Any, NamedTuple

import numpy as np

from .colors import FLAG_TEXT, NO_GRAD_COLOR, GradColors, magnitude
from ..dtypes import FLOAT_KINDS

_FWD_OP_FILL = "#e8eef7"
_FWD_LEAF_FILL = "#fff3cd"
_PENDING_FILL = "#f5f5f5"
_CURRENT_COLOR = "#ff7f0e"
_FLAG_ORDER = {"ok": 0, "vanishing": 1, "exploding": 2, "nonfinite": 3}


# ---- small text helpers ----------------------------------------------------------------
def esc(s) -> str:
    """Escape text for a Graphviz HTML-like label."""
    return (
        str(s)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def _q(s) -> str:
    """A double-quoted DOT string."""
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def fmt(x, digits=3) -> str:
    x = float(x)
    if x == 0:
        return "0"
    return f"{x:.{digits}g}"


def shape_text(shape, dtype) -> str:
    dims = "\u00d7".join(str(d) for d in shape) if len(shape) else "scalar"
    return f"{dims} {np.dtype(dtype).name}"


def stats_lines(arr, what: str) -> list[str]:
    """'value 0.5' for one element; mean/std and min/max for arrays (NaN/inf counted)."""
    a = np.asarray(arr)
    if a.dtype.kind == "c":
        a = np.abs(a)
    if a.dtype.kind not in FLOAT_KINDS:
        a = a.astype(np.float64)
    if a.size == 0:
        return [f"{what} (empty)"]
    if a.size == 1:
        return [f"{what} {fmt(a.reshape(-1)[0], 4)}"]
    finite = np.isfinite(a)
    lines = []
    if not finite.all():
        bad = a.size - int(finite.sum())
        lines.append(f"{what} has {bad} nan/inf of {a.size}")
        a = a[finite]
        if a.size == 0:
            return lines
    with np.errstate(all="ignore"):  # float16 may overflow: summarise in float64
        a64 = a.astype(np.float64)
        mean, std = a64.mean(), a64.std()
    lines.append(f"{what} mean {fmt(mean)} std {fmt(std)}")
    lines.append(f"{' ' * len(what)} min {fmt(a64.min())} max {fmt(a64.max())}")
    return lines


# ---- boxes ---------------------------------------------------------------------------
class Box:
    """One drawn node: a graph node, or a collapsed module / chain / remainder."""

    __slots__ = ("key", "id", "kind", "members", "module", "count")

    def __init__(self, key, kind, module):
        self.key = key
        self.id = None
        self.kind = kind  # 'op' | 'leaf' | 'module' | 'chain' | 'more'
        self.members = []  # node indices
        self.module = module  # cluster this box is drawn in
        self.count = 0  # chains: how many ops / modules were merged


def _prefixes(path):
    parts = path.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts) + 1)]


def _collapse_targets(data, collapse):
    """Module paths to collapse: paths, module type names ('Linear') or Module objects."""
    if collapse is None or collapse is False:
        return set()
    all_paths = set()
    for i in range(len(data)):
        p = data.module_of(i)
        if p:
            all_paths.update(_prefixes(p))
    if collapse is True:  # every top-level module
        return {p for p in all_paths if "." not in p}
    if isinstance(collapse, str) or not hasattr(collapse, "__iter__"):
        collapse = [collapse]
    out = set()
    for c in collapse:
        if not isinstance(c, str):
            name = data.module_names.get(id(c))
            if name is None:
                raise ValueError(
                    f"viz.draw: collapse={type(c).__name__} module is not a "
                    "sub-module of params=; pass its path (e.g. 'layers.0')"
                )
            out.add(name)
        elif c in all_paths:
            out.add(c)
        else:
            typed = {p for p in all_paths if data.module_types.get(p) == c}
            if not typed:
                raise ValueError(
                    f"viz.draw: collapse={c!r} matches no module path or module "
                    f"type in this graph; known paths: {sorted(all_paths)[:10]}"
                )
            out |= typed
    return out


def plan_boxes(data, *, max_nodes=None, collapse=None, group_modules=True):
    """Assign every node to a box; collapse until at most ``max_nodes`` boxes remain.

    Order of collapsing (cheapest loss of information first): requested modules; then
    modules automatically, deepest first and, at equal depth, the most repeated kind;
    then the longest linear chains of ops; finally everything farthest from the outputs
    is merged into one "earlier nodes" box.
    """
    n = len(data)
    if max_nodes is not None and max_nodes < 2:
        raise ValueError(f"viz.draw: max_nodes must be at least 2, got {max_nodes}")
    paths = [data.module_of(i) for i in range(n)]
    key = list(range(n))

    def mod_key(path, targets):
        for p in _prefixes(path):
            if p in targets:
                return ("mod", p)
        return None

    targets = _collapse_targets(data, collapse)
    count = n
    if max_nodes is not None and n > max_nodes:
        # automatic module collapsing: simulate the box count before touching `key`
        size = Counter()
        for p in paths:
            if p:
                for q in _prefixes(p):
                    size[q] += 1
        mod_kind = {p: data.module_types.get(p) or re.sub(r"\d+", "#", p) for p in size}
        repeats = Counter(mod_kind.values())
        active, active_under = set(), {}
        count = n - _saved_by(targets, size)
        for p in sorted(size, key=lambda p: (-p.count("."), -repeats[mod_kind[p]], -size[p], p)):
            if count <= max_nodes:
                break
            if size[p] <= 1 or any(q in targets for q in _prefixes(p)):
                continue
            inner = {q for q in active_under.get(p, ()) if q in active}
            kids = Counter(mod_kind[q] for q in inner if q.count(".") == p.count(".") + 1)
            if kids and kids.most_common(1)[0][1] >= 2:
                # a container of repeated blocks (layers.0, layers.1, ...): keep the blocks
                # visible; the chain step merges the far ones if still needed
                continue
            count += sum(size[q] - 1 for q in inner) - (size[p] - 1)
            active -= inner
            active.add(p)
            for anc in _prefixes(p)[:-1]:
                active_under.setdefault(anc, set()).add(p)
        targets = targets | active
    if targets:
        for i, p in enumerate(paths):
            if p:
                mk = mod_key(p, targets)
                if mk is not None:
                    key[i] = mk
    chain_len = {}
    if max_nodes is not None and len(set(key)) > max_nodes:
        chain_len = _compress_chains(data, key, paths, max_nodes)
    if max_nodes is not None and len(set(key)) > max_nodes:
        _truncate(data, key, max_nodes)

    boxes, by_key = [], {}
    for i, k in enumerate(key):
        b = by_key.get(k)
        if b is None:
            if isinstance(k, int):
                kind, module = ("leaf" if data.is_leaf(i) else "op"), paths[i]
            elif k[0] == "mod":
                kind, module = "module", k[1].rpartition(".")[0] or None
            elif k[0] == "chain":
                kind, module = "chain", chain_len[k[1]][1]
            else:
                kind, module = "more", None
            b = by_key[k] = Box(k, kind, module if group_modules else None)
            if kind == "chain":
                b.count = chain_len[k[1]][0]
            boxes.append(b)
        b.members.append(i)
    for j, b in enumerate(boxes):
        b.id = f"n{j}"
    node_box = [by_key[k] for k in key]
    return boxes, node_box


def _saved_by(targets, size):
    """How many boxes collapsing ``targets`` saves (nested targets counted once)."""
    top = [p for p in targets if not any(q in targets for q in _prefixes(p)[:-1])]
    return sum(size.get(p, 1) - 1 for p in top)


def _box_graph(data, key):
    """Box -> set of producer boxes and box -> set of consumer boxes."""
    prods, cons = {}, {}
    for p, _, c, _ in data.edges:
        kp, kc = key[p], key[c]
        if kp != kc:
            prods.setdefault(kc, set()).add(kp)
            cons.setdefault(kp, set()).add(kc)
    return prods, cons


def _compress_chains(data, key, paths, max_nodes):
    """Merge linear chains (of single ops, or of collapsed modules) into one box each.

    Longest chain first; of a chain only as much is merged as is needed to get under the
    cap, starting at the end farthest from the outputs, so the steps next to the outputs
    stay readable. Returns {chain id: (number of merged elements, cluster path)}.
    """
    prods, cons = _box_graph(data, key)

    def is_leaf(k):
        return isinstance(k, int) and data.is_leaf(k)

    def where(k):  # the cluster a box sits in (chains never cross clusters)
        return paths[k] if isinstance(k, int) else k[1].rpartition(".")[0]

    def linkable(k):
        return not data.is_leaf(k) if isinstance(k, int) else k[0] == "mod"

    nxt = {}
    for k in set(key):
        if not linkable(k):
            continue
        c = cons.get(k, ())
        if len(c) == 1:
            (b,) = c
            if (
                linkable(b)
                and [q for q in prods.get(b, ()) if not is_leaf(q)] == [k]
                and where(b) == where(k)
            ):
                nxt[k] = b
    starts = set(nxt) - set(nxt.values())
    chains = []
    for st in starts:
        ch = [st]
        while ch[-1] in nxt:
            ch.append(nxt[ch[-1]])
        if len(ch) >= 3:
            chains.append(ch)
    chains.sort(key=lambda ch: (-len(ch), str(ch[0])))
    count = len(set(key))
    merged = {}
    for cid, ch in enumerate(chains):
        if count <= max_nodes:
            break
        take = min(len(ch), count - max_nodes + 1)
        if take < 2:
            break
        members = set(ch[:take])
        for i in range(len(key)):
            if key[i] in members:
                key[i] = ("chain", cid)
        merged[cid] = (take, where(ch[0]) or None)
        count -= take - 1
    return merged


def _truncate(data, key, max_nodes):
    """Keep the ``max_nodes - 1`` boxes nearest the outputs; merge the rest into one."""
    prods, _ = _box_graph(data, key)
    seen, order = set(), []
    queue = deque(key[data.index[n]] for n, _ in data.roots)
    while queue and len(order) < max_nodes - 1:
        k = queue.popleft()
        if k in seen:
            continue
        seen.add(k)
        order.append(k)
        queue.extend(q for q in sorted(prods.get(k, ()), key=str) if q not in seen)
    keep = set(order)
    for i in range(len(key)):
        if key[i] not in keep:
            key[i] = ("more",)


# ---- box content -----------------------------------------------------------------------
class _Grads:
    """Node gradients with their magnitudes computed once (big graphs ask many times)."""

    def __init__(self, node_grads):
        self.node_grads = node_grads
        self._memo = {}

    def info(self, i):
        """(magnitude, finite, array) of node i's gradient (its worst output), or None."""
        if i in self._memo:
            return self._memo[i]
        best = None
        for g in self.node_grads.get(i) or ():
            if g is not None:
                m = magnitude(g)
                if best is None or (not m[1]) or (best[1] and m[0] > best[0]):
                    best = (m[0], m[1], g)
        self._memo[i] = best
        return best


def _worst_flag(colors, node_grads, members):
    worst = "ok"
    for i in members:
        g = node_grads.info(i)
        if g is not None:
            f = colors.classify(g[0], g[1])
            if _FLAG_ORDER[f] > _FLAG_ORDER[worst]:
                worst = f
    return worst


def _op_counts(data, members, top=3):
    c = Counter(data.order[i].name() for i in members if not data.is_leaf(i))
    parts = [f"{name} \u00d7{k}" for name, k in c.most_common(top)]
    if len(c) > top:
        parts.append(f"+{len(c) - top} more kinds")
    return parts


def _box_outputs(data, box, node_box):
    """Members whose output leaves the box (or are graph outputs)."""
    roots = {data.index[n] for n, _ in data.roots}
    outs = []
    for i in box.members:
        if i in roots or any(node_box[data.edges[k][2]] is not box for k in data.consumers[i]):
            outs.append(i)
    return outs or box.members[-1:]


def _label(title, sub, lines, flag_line, title_color="#000000"):
    rows = [f'<TR><TD><B><FONT COLOR="{title_color}">{esc(title)}</FONT></B></TD></TR>']
    if sub:
        rows.append(f'<TR><TD><FONT POINT-SIZE="9" COLOR="#444444">{esc(sub)}</FONT></TD></TR>')
    for ln in lines:
        rows.append(
            f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="9" FACE="monospace">{esc(ln)}</FONT></TD></TR>'
        )
    if flag_line:
        rows.append(
            f'<TR><TD><FONT POINT-SIZE="10" COLOR="#b00000"><B>{esc(flag_line)}</B>'
            f"</FONT></TD></TR>"
        )
    return (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
        + "".join(rows)
        + "</TABLE>>"
    )


# ---- DOT ---------------------------------------------------------------------------------
def build_dot(
    data,
    *,
    show="both",
    values=True,
    grads=True,
    max_nodes=None,
    collapse=None,
    group_modules=True,
    colors=None,
    legend=True,
    title=None,
    frame=None,
    rankdir="TB",
):
    """DOT text for ``data`` (a GraphData). Returns (source, boxes).

    ``frame`` (used by backprop_steps) overrides gradients and highlights nodes:
    ``{"node_grads", "edge_grads", "current": set, "pending": set, "edge_notes": {edge: str},
    "node_notes": {node: [str]}}``.
    """
    if show not in ("both", "forward", "backward"):
        raise ValueError(f"viz.draw: show must be 'both', 'forward' or 'backward', got {show!r}")
    colors = colors or GradColors()
    use_grads = grads and show != "forward"
    use_values = values and show != "backward"
    if frame is not None:
        node_grads, edge_grads = frame["node_grads"], frame["edge_grads"]
        source = frame.get("source", "")
    elif use_grads:
        source = data.load_grads()
        node_grads, edge_grads = data.node_grads, data.edge_grads
    else:
        source, node_grads, edge_grads = None, {}, {}
    node_grads = _Grads(node_grads)
    frame = frame or {}
    current, pending = frame.get("current", ()), frame.get("pending", ())
    edge_notes, node_notes = frame.get("edge_notes", {}), frame.get("node_notes", {})

    boxes, node_box = plan_boxes(
        data, max_nodes=max_nodes, collapse=collapse, group_modules=group_modules
    )
    module_notes = _flatten_lone_clusters(boxes, data) if group_modules else {}
    root_ids = {data.index[n] for n, _ in data.roots}
    flags_seen = set()
    lines_out = [
        "digraph autograd {",
        f'  graph [rankdir={rankdir}, fontname="Helvetica", fontsize=11, nodesep=0.25, '
        "ranksep=0.35, newrank=true" + (f", label={_q(title)}, labelloc=t" if title else "") + "];",
        '  node [shape=box, style="filled", fontname="Helvetica", fontsize=10, margin="0.06,0.03", '
        "penwidth=1.2];",
        '  edge [fontname="Helvetica", fontsize=8, arrowsize=0.7];',
    ]
    # edges: merged per (producer box, consumer box)
    merged = {}
    for k, (p, nr, c, i) in enumerate(data.edges):
        bp, bc = node_box[p], node_box[c]
        if bp is bc:
            continue
        m = merged.setdefault((bp, bc), [0, None, [], False])
        m[0] += 1
        g = edge_grads.get(k) if use_grads else None
        if g is not None:
            mag = magnitude(g)
            if m[1] is None or not mag[1] or (m[1][1] and mag[0] > m[1][0]):
                m[1] = mag
        if k in edge_notes:
            m[2].append(edge_notes[k])
        if c in current:
            m[3] = True
    box_notes = _omit_fanout(data, merged)

    drawing = _Drawing(
        data,
        node_box,
        node_grads,
        colors,
        use_grads,
        use_values,
        root_ids,
        current,
        pending,
        node_notes,
        flags_seen,
    )
    node_stmts = {}
    for b in boxes:
        node_stmts[b.id] = _box_stmt(
            drawing, b, module_notes.get(b.id, []) + box_notes.get(b.id, [])
        )
    _emit_clusters(lines_out, boxes, node_stmts, data)

    for (bp, bc), (cnt, mag, notes, hot) in merged.items():
        if cnt == 0:  # omitted (see _omit_fanout)
            continue
        attrs = []
        if use_grads:
            if mag is None:
                attrs += [f'color="{NO_GRAD_COLOR}60"', 'style="dashed"' if frame else ""]
            else:
                col = colors.edge_color(*mag)
                kind = colors.classify(*mag)
                width = 1.0 + 2.5 * colors.position(mag[0]) if kind == "ok" else 2.2
                attrs += [
                    f'color="{col}"',
                    f"penwidth={width:.2f}",
                    f"tooltip={_q('gradient mean|g| = ' + fmt(mag[0]))}",
                ]
                if kind == "vanishing":
                    attrs.append('style="dashed"')
                    flags_seen.add(kind)
                elif kind != "ok":
                    flags_seen.add(kind)
        else:
            attrs.append('color="#555555"')
        if show == "backward":
            attrs.append("dir=back")
        if cnt > 1:
            notes = [f"\u00d7{cnt}"] + notes
        if notes:
            attrs.append(f"label={_q(' '.join(notes))}")
        if hot:
            attrs += [f'color="{_CURRENT_COLOR}"', "penwidth=3"]
        attrs = [x for x in attrs if x]
        lines_out.append(f"  {bp.id} -> {bc.id} [{', '.join(attrs)}];")

    if legend:
        lines_out.append(_legend(colors, use_grads, source, flags_seen, show))
    lines_out.append("}")
    return "\n".join(lines_out) + "\n", boxes


_FANOUT = 6  # more consumers than this: draw only the edges nearest the outputs


def _short_title(data, b):
    i = b.members[0]
    if b.kind == "leaf":
        return data.leaf_name(i) or f"leaf #{data.leaf_number(i)}"
    if b.kind == "op":
        return data.order[i].name()
    if b.kind == "module":
        return b.key[1]
    return "collapsed part"


def _omit_fanout(data, merged):
    """A box feeding many others (a shared weight used at every step of an unrolled loop)
    would send long edges across the whole picture, which makes it unreadable and the
    layout very slow. Keep its two edges nearest the outputs; name it in the other
    consumers instead. Marks omitted edges with count 0; returns {box id: [note lines]}."""
    fan = {}
    for (bp, bc), m in merged.items():
        fan.setdefault(bp, []).append(bc)
    notes = {}
    for bp, cs in fan.items():
        if len(cs) <= _FANOUT:
            continue
        cs.sort(key=lambda b: int(b.id[1:]))  # box ids grow away from the outputs
        dropped = 0
        for bc in cs[2:]:
            m = merged[(bp, bc)]
            if m[2] or m[3]:  # keep annotated / highlighted edges (backprop_steps)
                continue
            m[0] = 0
            dropped += 1
            notes.setdefault(bc.id, []).append("\u2190 also uses " + _short_title(data, bp))
        if dropped:
            notes.setdefault(bp.id, []).append(f"feeds {len(cs)} boxes ({dropped} edges not drawn)")
    return notes


class _Drawing(NamedTuple):
    """What every box statement of one drawing reads (``build_dot`` makes it once)."""

    data: Any  # the GraphData
    node_box: dict  # node index -> its Box
    node_grads: _Grads
    colors: GradColors
    use_grads: bool
    use_values: bool
    root_ids: set  # the outputs' node indices (drawn with a double outline)
    current: Any  # node indices highlighted in this frame (backprop_steps)
    pending: Any  # node indices whose gradient is not computed yet
    node_notes: dict  # node index -> extra label lines
    flags_seen: set  # filled in: the flags the drawn boxes show, for the legend


def _box_stmt(d: _Drawing, b: Box, extra_notes=()) -> str:
    """The DOT statement of box ``b``: its label (title, shape, value and gradient lines,
    notes) and its colours and outline from the gradient's health; records the flags it
    shows in ``d.flags_seen`` for the legend."""
    lines, flag_line, sub = [], None, None
    members = b.members
    main = members[0]
    if b.kind in ("op", "leaf"):
        node = d.data.order[main]
        if b.kind == "leaf":
            name = d.data.leaf_name(main)
            title = name or f"leaf #{d.data.leaf_number(main)}"
            sub_kind = "parameter" if id(node.variable) in d.data.param_names else "leaf"
            sub = sub_kind + " \u00b7 " + shape_text(*_meta(d.data, main))
        else:
            title = node.name()
            meta = _meta(d.data, main)
            sub = shape_text(*meta) if meta else None
            if getattr(node, "_num_outputs", 1) > 1:
                sub = (sub + " " if sub else "") + f"({node._num_outputs} outputs)"
        outs = [main]
    else:
        outs = _box_outputs(d.data, b, d.node_box)
        if b.kind == "module":
            path = b.key[1]
            mtype = d.data.module_types.get(path)
            title = path + (f" \u00b7 {mtype}" if mtype else "")
            n_ops = sum(1 for i in members if not d.data.is_leaf(i))
            n_par = len(members) - n_ops
            sub = f"module, collapsed: {n_ops} ops" + (f", {n_par} params" if n_par else "")
        elif b.kind == "chain":
            mods = list(
                dict.fromkeys(  # in forward order (members are consumers-first)
                    d.data.module_of(i)
                    for i in reversed(members)
                    if d.data.module_of(i) and d.data.module_of(i) != b.module
                )
            )
            if mods:
                kinds = sorted({re.sub(r"\d+", "#", m) for m in mods})
                title = f"{b.count:,} repeated modules " + ", ".join(kinds[:2])
                sub = f"{mods[0]} \u2026 {mods[-1]}, {len(members):,} nodes"
            else:
                title = f"chain of {b.count:,} ops"
                sub = "collapsed: " + ", ".join(_op_counts(d.data, members))
        else:
            title = f"\u22ef {len(members):,} earlier nodes"
            sub = "collapsed (max_nodes): " + ", ".join(_op_counts(d.data, members))
        meta = _meta(d.data, outs[0])
        if meta:
            lines.append("out " + shape_text(*meta))
    main_out = outs[0]
    if d.use_values and b.kind in ("op", "leaf"):
        v = d.data.value(main_out)
        if v is not None:
            lines += stats_lines(v, "value")
        elif b.kind == "op":
            lines.append("value (not kept)")
    g = None
    if d.use_grads:
        # the box's gradient: the gradient of its output (worst one if several)
        for i in outs:
            gi = d.node_grads.info(i)
            if gi is not None and (g is None or not gi[1] or (g[1] and gi[0] > g[0])):
                g = gi
        if b.kind in ("op", "leaf"):
            if g is not None:
                lines += stats_lines(g[2], "grad ")
            elif main_out not in d.pending:
                lines.append("grad  (none)")
        elif g is not None:
            lines.append(f"grad  mean|g| {fmt(g[0])}")
    for note in d.node_notes.get(main, ()) if b.kind in ("op", "leaf") else ():
        lines.append(note)
    lines += extra_notes
    attrs = []
    if d.use_grads and g is not None:
        kind = d.colors.classify(g[0], g[1])
        attrs += [
            f'fillcolor="{d.colors.fill_color(g[0], g[1])}"',
            f'color="{d.colors.edge_color(g[0], g[1])}"',
        ]
        if kind != "ok":
            flag_line = FLAG_TEXT[kind]
            d.flags_seen.add(kind)
            attrs.append("penwidth=2.5")
            if kind == "vanishing":
                attrs.append(
                    'style="filled,dashed"' if b.kind != "leaf" else 'style="rounded,filled,dashed"'
                )
    else:
        fill = _FWD_LEAF_FILL if b.kind == "leaf" else _FWD_OP_FILL
        if d.use_grads:
            fill = _PENDING_FILL if main in d.pending else "#ffffff"
        attrs += [f'fillcolor="{fill}"', 'color="#7a8a9a"']
    if b.kind not in ("op", "leaf") and d.use_grads:
        worst = _worst_flag(d.colors, d.node_grads, members)
        if worst != "ok" and flag_line is None:
            flag_line = "contains " + FLAG_TEXT[worst]
            d.flags_seen.add(worst)
    if b.kind == "leaf" and not any("dashed" in a for a in attrs):
        attrs.append('style="rounded,filled"')
    if b.kind in ("module", "chain", "more"):
        attrs.append("shape=box3d" if b.kind != "more" else "shape=folder")
    if any(i in d.root_ids for i in members):
        attrs.append("peripheries=2")
    if any(i in d.current for i in members):
        attrs += [f'color="{_CURRENT_COLOR}"', "penwidth=4"]
    tip = title + (" \u2014 " + sub if sub else "") + "\n" + "\n".join(lines)
    attrs.append(f"tooltip={_q(tip)}")
    label = _label(title, sub, lines, flag_line)
    return f"{b.id} [label={label}, {', '.join(attrs)}];"


def _meta(data, i):
    m = data.value(i) if data.is_leaf(i) else None
    if m is not None:
        return m.shape, m.dtype
    from ._graph import out_meta

    return out_meta(data.order[i], 0)


def _flatten_lone_clusters(boxes, data):
    """A module that made a single box (an activation layer) gets no frame of its own:
    the box moves to the parent cluster and names its module. Returns {box id: [note]}."""
    per_path, parents = {}, set()
    for b in boxes:
        if b.module:
            per_path.setdefault(b.module, []).append(b)
            for p in _prefixes(b.module)[:-1]:
                parents.add(p)
    notes = {}
    for path, bs in per_path.items():
        if len(bs) == 1 and path not in parents:
            b = bs[0]
            mtype = data.module_types.get(path)
            notes[b.id] = [f"in {path}" + (f" ({mtype})" if mtype else "")]
            b.module = path.rpartition(".")[0] or None
    return notes


def _emit_clusters(out, boxes, stmts, data):
    """Nest boxes in ``subgraph cluster_*`` blocks following their dotted module paths."""
    tree = {}  # path -> list of child paths
    at = {}  # path -> box ids directly inside
    for b in boxes:
        path = b.module or ""
        at.setdefault(path, []).append(b.id)
        while path:
            parent = path.rpartition(".")[0]
            kids = tree.setdefault(parent, [])
            if path not in kids:
                kids.append(path)
            path = parent
    cid = [0]

    def emit(path, indent):
        pad = "  " * indent
        for bid in at.get(path, ()):
            out.append(pad + stmts[bid])
        for child in tree.get(path, ()):
            cid[0] += 1
            mtype = data.module_types.get(child)
            label = child + (f" ({mtype})" if mtype else "")
            out.append(f"{pad}subgraph cluster_m{cid[0]} {{")
            out.append(
                f'{pad}  label={_q(label)}; labeljust=l; style="rounded,dashed"; '
                f'color="#8a9bb0"; fontcolor="#34495e"; fontsize=10;'
            )
            emit(child, indent + 1)
            out.append(pad + "}")

    emit("", 1)


def _legend(colors, use_grads, source, flags_seen, show):
    """A small table: the log colour bar, the flags and where the gradients came from."""
    if not use_grads:
        rows = '<TR><TD BGCOLOR="%s">op</TD><TD BGCOLOR="%s">leaf / parameter</TD></TR>' % (
            _FWD_OP_FILL,
            _FWD_LEAF_FILL,
        )
        title = "forward graph (show='forward')"
        return (
            f'  legend [shape=plaintext, style="", label=<<TABLE BORDER="0" '
            f'CELLBORDER="1" CELLSPACING="0" CELLPADDING="3"><TR><TD COLSPAN="2">'
            f"<B>{esc(title)}</B></TD></TR>{rows}</TABLE>>];"
        )
    ticks = colors.ticks()
    n = len(ticks)
    bar = "".join(f'<TD BGCOLOR="{c}" WIDTH="28"> </TD>' for _, c in ticks)
    labels = "".join(f'<TD><FONT POINT-SIZE="8">{esc(t)}</FONT></TD>' for t, _ in ticks)
    flags = [
        ("vanishing", f"< {fmt(colors.vanishing)}", "#eeeeee"),
        ("exploding", f"> {fmt(colors.exploding)}", "#ffffff"),
        ("nonfinite", "nan / inf", "#ffb3b3"),
    ]
    frows = "".join(
        f'<TR><TD COLSPAN="{n}" ALIGN="LEFT" BGCOLOR="{bg}"><FONT POINT-SIZE="9" '
        f'COLOR="#b00000">{esc(FLAG_TEXT[k])}</FONT><FONT POINT-SIZE="9"> {esc(desc)}'
        f"{'  (present)' if k in flags_seen else ''}</FONT></TD></TR>"
        for k, desc, bg in flags
    )
    arrows = (
        "arrows: gradient flow (backward)"
        if show == "backward"
        else "arrows: forward data flow; colour: gradient sent back along it"
    )
    return (
        f'  legend [shape=plaintext, style="", label=<<TABLE BORDER="0" CELLBORDER="0" '
        f'CELLSPACING="1" CELLPADDING="2"><TR><TD COLSPAN="{n}"><B>gradient magnitude'
        f'</B><FONT POINT-SIZE="9"> mean|g|, log scale</FONT></TD></TR><TR>{bar}</TR>'
        f'<TR>{labels}</TR>{frows}<TR><TD COLSPAN="{n}"><FONT POINT-SIZE="8" '
        f'COLOR="#555555">{esc(arrows)}</FONT></TD></TR><TR><TD COLSPAN="{n}"><FONT '
        f'POINT-SIZE="8" COLOR="#555555">gradients: {esc(source or "none")}</FONT></TD>'
        f"</TR></TABLE>>];"
    )


def count_nodes(source: str) -> int:
    """Number of drawn graph nodes in DOT text made by build_dot (legend excluded)."""
    return len(re.findall(r"^\s*n\d+ \[", source, re.M))
