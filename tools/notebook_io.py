"""Reading the course's notebooks, one way for every tool (badges.py, make_student.py).

Notebooks are read with nbformat (version 4, each cell's source one string) and checked against
the notebook schema; they are written with ``nbformat.write``, whose output is byte-identical to
the committed files. Needs nbformat, which is in the course's .venv.
"""
import pathlib

import nbformat


def read_notebook(path: pathlib.Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, valid against its schema; ``ValueError`` with one sentence if not."""
    try:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
    except OSError as exc:
        raise ValueError(f"{path.name}: cannot read it ({exc.strerror})") from None
    except Exception as exc:  # nbformat raises several kinds for a file that is not a notebook
        reason = (getattr(exc, "message", None) or str(exc)).splitlines()[0]  # a schema error's first line
        raise ValueError(f"{path.name}: not a notebook nbformat can read ({type(exc).__name__}: {reason})") from None
    return notebook
