"""Execute the course notebooks and write readable HTML pages (plots and graph pictures
included) under out/course/, for reading without Jupyter.

    bash scripts/course_html.sh                 # every notebook, English and Japanese
    bash scripts/course_html.sh --lang ja 05    # the Japanese notebook(s) whose name has "05"
    bash scripts/course_html.sh --ci            # the shortened runs (sets CI=1)

Writes out/course/<lang>/<name>.html and out/course/index.html (links and run times), prints
each notebook's wall-clock and CPU time (the kernel's; on a busy machine the wall time grows,
the CPU time does not), and exits with status 1 if a notebook raised or printed a warning,
a traceback or anything on stderr (the page is written anyway, so the problem can be read).
"""

from __future__ import annotations

import argparse
import html
import os
import pathlib
import resource
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "notebooks"))

from _tools import LANGS, notebooks, output_problems  # noqa: E402


def execute(path: pathlib.Path, timeout: int):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start, cpu = time.perf_counter(), _children_cpu()
    error = None
    try:
        client.execute()
    except CellExecutionError as e:
        error = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return nb, time.perf_counter() - start, _children_cpu() - cpu, error


def _children_cpu() -> float:
    """CPU seconds used by finished child processes (the kernel, once it has shut down, and
    Graphviz): unlike wall time, this does not grow when other programs share the cores."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def to_html(nb, title: str) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "names", nargs="*", help="run only notebooks whose file name contains one of these"
    )
    ap.add_argument("--lang", choices=LANGS, action="append", help="language(s) (default: all)")
    ap.add_argument("--ci", action="store_true", help="set CI=1: the notebooks' shortened runs")
    ap.add_argument("--out", default=str(ROOT / "out" / "course"))
    ap.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds")
    args = ap.parse_args(argv)

    # the kernel imports this checkout's autograd/nn/optim, whatever is installed elsewhere
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    if args.ci:
        os.environ["CI"] = "1"
    out = pathlib.Path(args.out)
    rows, failed = [], 0
    for lang in args.lang or LANGS:
        (out / lang).mkdir(parents=True, exist_ok=True)
        for path in notebooks(lang):
            if args.names and not any(n in path.name for n in args.names):
                continue
            nb, seconds, cpu, error = execute(path, args.timeout)
            problems = output_problems(nb)
            status = error or (
                f"{len(problems)} unclean output(s): cell {problems[0][0]}: {problems[0][1]}"
                if problems
                else "ok"
            )
            failed += status != "ok"
            page = out / lang / (path.stem + ".html")
            page.write_text(to_html(nb, path.stem), encoding="utf-8")
            rows.append((lang, path.stem, seconds, cpu, status, page.relative_to(out)))
            print(
                f"{lang}/{path.name:<40} {seconds:6.1f} s wall {cpu:6.1f} s CPU  {status}",
                flush=True,
            )
    if not rows:
        print("no notebook matched", file=sys.stderr)
        return 1
    mode = "CI=1 (shortened runs)" if os.environ.get("CI") else "full runs"
    items = "\n".join(
        f"<tr><td>{lang}</td><td><a href='{html.escape(str(link))}'>{html.escape(stem)}</a></td>"
        f"<td>{seconds:.1f} s</td><td>{cpu:.1f} s</td><td>{html.escape(status)}</td></tr>"
        for lang, stem, seconds, cpu, status, link in rows
    )
    (out / "index.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>jitgrad course</title>"
        f"<h1>jitgrad course</h1><p>Executed {time.strftime('%Y-%m-%d %H:%M')}, {mode}.</p>"
        f"<table border='1' cellpadding='4'><tr><th>lang</th><th>notebook</th><th>run time</th>"
        f"<th>CPU time</th><th>status</th></tr>\n{items}</table>\n",
        encoding="utf-8",
    )
    print(f"wrote {len(rows)} pages and {out / 'index.html'} ({mode})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
