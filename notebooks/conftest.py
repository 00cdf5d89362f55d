"""nbmake executes every notebook (``pytest`` collects ``notebooks/`` with ``--nbmake``).

nbmake fails a notebook only on an exception. The course also promises clean outputs, so
a notebook whose outputs hold a warning, a traceback or anything on stderr fails here too
(the same check as ``scripts/course_html.py``; see ``notebooks/_tools.py``).
"""

from nbmake import nb_run
from nbmake.nb_result import NotebookError

from _tools import output_problems

_execute = nb_run.NotebookRun.execute


def _execute_and_check_outputs(self):
    result = _execute(self)
    if result.error is None:
        problems = output_problems(result.nb)
        if problems:
            lines = [f"cell {i}: {what}" for i, what in problems]
            result.error = NotebookError(
                summary=f"{self.filename.name}: {len(problems)} unclean output(s): {lines[0]}",
                trace="outputs must hold no warning, traceback or stderr text:\n"
                + "\n".join(lines),
                failing_cell_index=problems[0][0],
            )
    return result


nb_run.NotebookRun.execute = _execute_and_check_outputs
