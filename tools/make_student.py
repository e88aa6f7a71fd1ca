"""Write student copies of the notebooks: solutions out, stubs in, as nbgrader does it.

    make student        (or: .venv/bin/python tools/make_student.py [--out student] [NOTEBOOK ...])

For teachers who do not run nbgrader. What is a solution comes from the same place nbgrader reads
it: the cell's nbgrader metadata (`"solution": true`), and the stubs are nbgrader's own, so a copy
made here has the same cells as `nbgrader generate_assignment`'s (CI compares the two). In each
notebook (default: notebooks/[0-9]*.ipynb):
- a solution code cell keeps its text outside `### BEGIN SOLUTION` / `### END SOLUTION` and gets
  `# YOUR CODE HERE` and `raise NotImplementedError()` in place of what was between them (a cell
  without the markers becomes that stub); its outputs and execution count are cleared;
- a solution markdown cell (a written answer) becomes "YOUR ANSWER HERE";
- solution cells are no longer collapsed (the instructor's copy hides them in JupyterLab);
- a graded code cell (a checker cell, an autograded test) loses its stored output, the
  instructor's "correct.", so that only the student's own run answers, and its nbval marker, as
  grading/nbgrader_config.py's StudentView does for nbgrader;
- so does every code cell that uses a name a solution cell defines (04's run of the learner's
  loop): its stored output came from the instructor's solution;
- every other cell is left as it is, outputs included (nbgrader's copy has no outputs at all).

Markers must pair up inside one cell: a BEGIN without its END, an END without a BEGIN, a BEGIN
inside another, a line that looks like a marker but is not spelled as one, or markers in a cell
that is not a solution cell would leave a solution in the copy or cut off code after it, so each
is an error. Notebooks are read and written with nbformat (in the course's .venv), and every copy
is validated against the notebook schema before anything is written.

The copies go to `student/` (git-ignored); existing files there are replaced. Exit code 0, or 2
with one sentence naming the notebook (and the cell) it cannot handle; then nothing is written.
"""
import argparse
import ast
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # notebook_io, next to this file

try:
    import nbformat
    from notebook_io import BEGIN, END, is_graded, is_solution, read_notebook
except ModuleNotFoundError:
    print("make_student: the module nbformat is missing; run the tool with the course's Python: "
          "make student (or .venv/bin/python tools/make_student.py).", file=sys.stderr)
    raise SystemExit(2) from None

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Anything a teacher may have meant as a marker: "# BEGIN SOLUTION", "### end solution (part 1)".
# nbgrader takes any line holding "BEGIN SOLUTION" or "END SOLUTION" for one, so any such line that
# is not spelled exactly as a marker is an error here.
MARKER_LIKE = re.compile(r"(BEGIN|END)\s+SOLUTION\b", re.I)
# nbgrader's stubs (ClearSolutions.code_stub for Python, ClearSolutions.text_stub).
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
TEXT_STUB = "YOUR ANSWER HERE"


class MarkerError(ValueError):
    """Solution markers that do not pair up; the message says what is wrong with them."""


def markers(source):
    """(line number, BEGIN or END) for each marker line of source; a near-miss is an error."""
    found = []
    for number, line in enumerate(source.split("\n"), 1):
        stripped = line.strip()
        if stripped in (BEGIN, END):
            found.append((number, stripped))
        elif MARKER_LIKE.search(line):
            raise MarkerError(f"line {number}, {stripped!r}, looks like a solution marker but is not "
                              f"exactly {BEGIN!r} or {END!r}")
    return found


def stub_code(source):
    """source with each BEGIN ... END block replaced by `raise NotImplementedError`."""
    found = markers(source)
    if not found:
        return "\n".join(CODE_STUB)
    open_at = None
    for number, marker in found:
        if marker == BEGIN and open_at is not None:
            raise MarkerError(f"{BEGIN!r} on line {number} comes before the {END!r} of the one on line {open_at}")
        if marker == END and open_at is None:
            raise MarkerError(f"{END!r} on line {number} has no {BEGIN!r} before it")
        open_at = number if marker == BEGIN else None
    if open_at is not None:
        raise MarkerError(f"{BEGIN!r} on line {open_at} has no {END!r} after it")
    out, inside = [], False
    for line in source.split("\n"):
        stripped = line.strip()
        if stripped == BEGIN:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub for stub in CODE_STUB)
        elif stripped == END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def _tree(source):
    """The cell's syntax tree, or None for a cell Python cannot parse alone (IPython's %magics)."""
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def defined_names(source):
    """The names a cell binds at its top level: functions, classes, assignments."""
    tree, names = _tree(source), set()
    for node in tree.body if tree else []:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def used_names(source):
    tree = _tree(source)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} if tree else set()


def student_copy(notebook):
    """The notebook (changed in place) as a student gets it; MarkerError names the cell at fault."""
    solution_names = set()
    for number, cell in enumerate(notebook.cells, 1):
        source = cell.source
        try:
            if is_solution(cell):
                if cell.cell_type == "code":
                    solution_names |= defined_names(source)
                    source = stub_code(source)
                    cell.outputs, cell.execution_count = [], None
                else:
                    source = TEXT_STUB
                cell.metadata.pop("jupyter", None)  # source_hidden / outputs_hidden: show the stub
            elif markers(source):
                raise MarkerError("it has solution markers but is not a solution cell (nbgrader metadata "
                                  "\"solution\": true), so its solution would stay in the student copy")
            elif cell.cell_type == "code" and is_graded(cell):
                cell.outputs, cell.execution_count = [], None
                source = source.removeprefix("# NBVAL_CHECK_OUTPUT\n")  # the course's test marker, not for students
            elif cell.cell_type == "code" and used_names(source) & solution_names:
                cell.outputs, cell.execution_count = [], None
        except MarkerError as error:
            cell_id = f" (id {cell.id})" if "id" in cell else ""
            raise MarkerError(f"cell {number}{cell_id}: {error}") from None
        cell.source = source
    return notebook


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "student")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    # Every copy is made and validated before the first is written: an error leaves student/ as it was.
    copies = {}
    for path in paths:
        try:
            copy = student_copy(read_notebook(path))
            nbformat.validate(copy)
        except MarkerError as exc:
            print(f"error: {path}, {exc}; nothing was written.", file=sys.stderr)
            return 2
        except nbformat.ValidationError as exc:
            print(f"error: the student copy of {path} is not a valid notebook ({exc.message}); "
                  "nothing was written.", file=sys.stderr)
            return 2
        except ValueError as exc:
            print(f"error: {exc}; nothing was written.", file=sys.stderr)
            return 2
        copies[args.out / path.name] = copy
    args.out.mkdir(parents=True, exist_ok=True)
    for target, copy in copies.items():
        nbformat.write(copy, target)
        print(f"{target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
