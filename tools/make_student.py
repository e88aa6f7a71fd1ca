"""Write student copies of the notebooks: solutions out, stubs in.

    python tools/make_student.py [--out student] [NOTEBOOK ...]     (or: make student)

In each notebook (default: notebooks/[0-9]*.ipynb):
- a code cell tagged `solution` keeps its text outside `# BEGIN SOLUTION` / `# END SOLUTION`
  and gets `raise NotImplementedError` in place of what was between them (a cell without the
  markers becomes a `# Your code here` cell); its outputs and execution count are cleared;
- a markdown cell tagged `solution` becomes "_Your answer here._";
- a markdown cell tagged `solutions-note` (the instructor copy's "the solutions are here too")
  becomes a note on how to work in a student copy;
- solution cells are no longer collapsed (the instructor's copy hides them in JupyterLab);
- a code cell that calls a checker (`check_...(`) loses its stored output, the instructor's
  "correct.", so that only the student's own run answers (and its nbval marker);
- `<details><summary>Solution</summary> ... </details>` blocks in markdown are removed.

Standard library only. The copies go to `student/` (git-ignored); existing files there are
replaced. Exit code 0, or 2 with one sentence on a notebook it cannot read.
"""
import argparse
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
STUDENT_NOTE = (
    "This is a student copy: the solutions are not in it. Write your code in place of each "
    "`raise NotImplementedError`, then run the checker cell below it; until then the checker says "
    "\"not done yet\". Answer the questions in the cells that say _Your answer here._"
)
CHECKER_CALL = re.compile(r"^\s*check_\w+\(", re.M)
DETAILS = re.compile(r"\n*<details>\s*<summary>\s*Solution.*?</details>\n*", re.S | re.I)


def stub_code(source):
    lines, out, inside = source.split("\n"), [], False
    for line in lines:
        stripped = line.strip()
        if stripped == BEGIN:
            inside = True
            out.append(line[: len(line) - len(line.lstrip())] + "raise NotImplementedError  # your code here")
        elif stripped == END:
            inside = False
        elif not inside:
            out.append(line)
    if not any(l.strip() == BEGIN for l in lines):
        return "# Your code here\n"
    return "\n".join(out)


def student_copy(notebook):
    for cell in notebook["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        tags = cell.get("metadata", {}).get("tags", [])
        if "solution" in tags:
            if cell["cell_type"] == "code":
                source = stub_code(source)
                cell["outputs"], cell["execution_count"] = [], None
            else:
                source = "_Your answer here._"
            cell["metadata"].pop("jupyter", None)  # source_hidden / outputs_hidden: show the stub
        elif "solutions-note" in tags and cell["cell_type"] == "markdown":
            source = STUDENT_NOTE
        elif cell["cell_type"] == "code" and CHECKER_CALL.search(source):
            cell["outputs"], cell["execution_count"] = [], None
            source = source.replace("# NBVAL_CHECK_OUTPUT\n", "", 1)  # the course's test marker, not for students
        elif cell["cell_type"] == "markdown":
            source = DETAILS.sub("\n\n", source).strip("\n")
        cell["source"] = source.splitlines(keepends=True)
    return notebook


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "student")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    args.out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        try:
            notebook = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"error: cannot read {path} as a notebook ({exc}).", file=sys.stderr)
            return 2
        target = args.out / path.name
        target.write_text(json.dumps(student_copy(notebook), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
