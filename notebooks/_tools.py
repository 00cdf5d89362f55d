"""Course tooling for the tests and the HTML build (the notebooks themselves never import it).

* :func:`notebooks` lists ``notebooks/<lang>/NN_topic.ipynb``;
* :func:`code_cells` gives a notebook's code (what must be identical in ``en`` and ``ja``);
* :func:`japanese_fraction` measures how much of a markdown text is kana/kanji;
* :func:`output_problems` finds what must never be in an executed notebook's outputs:
  errors, tracebacks, warnings, anything written to stderr.
"""

from __future__ import annotations

import json
import pathlib
import re
import unicodedata

DIR = pathlib.Path(__file__).resolve().parent
LANGS = ("en", "ja")
NAME = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")


def notebooks(lang: str = "en") -> list[pathlib.Path]:
    """The course notebooks of one language, in course order."""
    return sorted(p for p in (DIR / lang).glob("*.ipynb") if not p.name.startswith("."))


def read(path) -> dict:
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))


def source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def code_cells(nb) -> list[str]:
    return [source(c) for c in nb["cells"] if c["cell_type"] == "code"]


def markdown_cells(nb) -> list[str]:
    return [source(c) for c in nb["cells"] if c["cell_type"] == "markdown"]


_NOT_PROSE = [
    re.compile(r"```.*?```", re.S),  # code blocks
    re.compile(r"`[^`\n]*`"),  # inline code: API names stay in English
    re.compile(r"\$\$.*?\$\$", re.S),  # display math
    re.compile(r"\$[^$\n]*\$"),  # inline math
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"<[^>]+>"),  # HTML tags
]


def japanese_fraction(text: str) -> tuple[float, int]:
    """(fraction of kana/kanji among the letters of the prose, number of letters).

    Code, math, link targets and HTML tags are not prose and are removed first, so API
    names and formulas do not count against Japanese text.
    """
    for pattern in _NOT_PROSE:
        text = pattern.sub(" ", text)
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0, 0
    ja = sum(1 for ch in letters if _is_japanese(ch))
    return ja / len(letters), len(letters)


def _is_japanese(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK UNIFIED", "HIRAGANA", "KATAKANA", "CJK COMPATIBILITY"))


_WARNING = re.compile(r"\b\w*Warning\b:|Traceback \(most recent call last\)")


def output_problems(nb) -> list[tuple[int, str]]:
    """``[(cell index, what)]`` for every error, traceback, warning or stderr output."""
    problems = []
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            kind = out.get("output_type")
            if kind == "error":
                problems.append((i, f"{out.get('ename')}: {out.get('evalue')}"))
                continue
            if kind == "stream":
                text = "".join(out.get("text", ""))
                if out.get("name") == "stderr":
                    problems.append((i, "stderr: " + text.strip()[:300]))
                    continue
            else:
                text = "".join(out.get("data", {}).get("text/plain", ""))
            m = _WARNING.search(text)
            if m:
                line = text[text.rfind("\n", 0, m.start()) + 1 :].split("\n", 1)[0]
                problems.append((i, line.strip()[:300]))
    return problems
