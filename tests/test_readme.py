"""The README's example must keep working."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_readme_ten_line_example_runs(capsys):
    text = (ROOT / "README.md").read_text()
    code = re.search(r"## Ten lines\n\n```python\n(.*?)```", text, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})
    loss, *_ = capsys.readouterr().out.split()
    assert float(loss) < 1e-6


def test_readme_commands_exist():
    text = (ROOT / "README.md").read_text()
    assert "bash scripts/demo.sh" in text and "bash scripts/test.sh" in text
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_readme_and_docs_links_stay_in_the_repository():
    """Every link of README.md, docs/*.md and bench/README.md names a file of the repository
    (the design documents live in docs/, not next to the repository)."""
    bad = []
    for doc in [
        ROOT / "README.md",
        ROOT / "bench" / "README.md",
        *sorted((ROOT / "docs").glob("*.md")),
    ]:
        for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text()):
            path = target.split("#")[0]
            if not path:
                continue
            resolved = (doc.parent / path).resolve()
            if "://" in target or ROOT not in resolved.parents or not resolved.exists():
                bad.append(f"{doc.relative_to(ROOT)}: {target}")
        for mention in re.findall(r"\.\./shared/\S+", doc.read_text()):
            bad.append(f"{doc.relative_to(ROOT)}: {mention}")
    assert not bad, "\n".join(bad)
