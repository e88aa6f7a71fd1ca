"""Reading the course's notebooks, one way for every tool (badges.py, make_student.py), and telling
their solution cells apart.

Notebooks are read with nbformat (version 4, each cell's source one string) and checked against
the notebook schema; they are written with ``nbformat.write``, whose output is byte-identical to
the committed files. Reading needs nbformat, which is in the course's .venv; telling cells apart
needs only the standard library, so tools that run outside the .venv (nbgrader_check.py,
prose_numbers.py) use it too.
"""
from __future__ import annotations

import pathlib
import re

# A solution cell is one that nbgrader's cell metadata marks as a solution: the one source of truth
# for `make student` (tools/make_student.py), `nbgrader generate_assignment` and the course's tests.
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
# A cell that calls one of dqn_helpers.exercises' checkers.
CHECKER_CALL = re.compile(r"^\s*check_\w+\(", re.M)


def nbgrader_metadata(cell) -> dict:
    """The cell's nbgrader metadata (``{}`` for a cell nbgrader does not grade or clear)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution(cell) -> bool:
    """Whether nbgrader replaces this cell (or its marked region) with a stub in a student copy."""
    return nbgrader_metadata(cell).get("solution") is True


def is_graded(cell) -> bool:
    """Whether the cell earns points: a checker cell (autograded) or a written answer (graded by hand)."""
    return nbgrader_metadata(cell).get("grade") is True


def read_notebook(path: pathlib.Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, valid against its schema; ``ValueError`` with one sentence if not."""
    import nbformat

    try:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
    except OSError as exc:
        raise ValueError(f"{path.name}: cannot read it ({exc.strerror})") from None
    except Exception as exc:  # nbformat raises several kinds for a file that is not a notebook
        reason = (getattr(exc, "message", None) or str(exc)).splitlines()[0]  # a schema error's first line
        raise ValueError(f"{path.name}: not a notebook nbformat can read ({type(exc).__name__}: {reason})") from None
    return notebook
