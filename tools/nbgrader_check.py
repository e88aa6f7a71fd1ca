"""Run the course through nbgrader, as a teacher's grading would, in a throwaway environment.

    python3 tools/nbgrader_check.py [--notebooks 01,02,...] [--keep DIR]      (make grading-check)

nbgrader pins its own notebook and JupyterLab versions, so it never enters the course's .venv,
requirements.txt or binder/. This script builds a fresh virtual environment in a temporary folder
from grading/requirements-nbgrader.txt (the course's pinned packages plus nbgrader), lays out an
nbgrader course directory with grading/nbgrader_config.py, one assignment per notebook, and checks:

1. `nbgrader generate_assignment` makes a student version of every notebook, and its cells are the
   cells of `make student`'s copy (tools/make_student.py): both come from the same cell metadata.
2. `nbgrader autograde` of three submissions:
   - the instructor's solutions (the student version with every solution cell filled in from the
     course's notebook): full marks on every autograded test;
   - the untouched student version: zero on every autograded test (and on every written answer,
     which nbgrader scores zero when it is unchanged);
   - 01 with one deliberately wrong answer (Exercise 1's update takes the min instead of the max):
     exactly that exercise's points lost, every other test as in the instructor's copy.
Written answers are graded by hand in nbgrader's formgrader; the report counts them apart.

Exit code 0 when every check holds, 1 listing each one that does not, 2 with one sentence when it
cannot run (no Python venv module, pip failing, a notebook missing). About 15 minutes on 2 cores,
most of it the notebooks running twice.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))  # notebook_io, next to this file (standard library only here)
from notebook_io import is_solution, nbgrader_metadata  # noqa: E402
GRADING = ROOT / "grading"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
# The deliberately wrong answer: (notebook, solution cell, exact text, replacement, test that must fail).
WRONG = ("01", "ex1_code", "np.max(q_table[next_obs])", "np.min(q_table[next_obs])", "ex1_check")

# Read in the throwaway environment: every submission's grades from nbgrader's gradebook, as JSON.
READ_GRADES = """
import json, sys
from nbgrader.api import Gradebook
out = {}
with Gradebook("sqlite:///gradebook.db") as gb:
    for assignment in gb.assignments:
        for notebook in assignment.notebooks:
            for submission in notebook.submissions:
                out.setdefault(submission.student.id, {})[notebook.name] = {
                    grade.name: {"auto": grade.auto_score, "max": grade.max_score, "type": grade.cell_type,
                                 "manual": grade.needs_manual_grade}
                    for grade in submission.grades}
json.dump(out, sys.stdout)
"""


class CannotRun(Exception):
    """The check cannot run here; the message says why in one sentence."""


def run(command, cwd, env, log):
    """Run a command, its output to the log file; CannotRun naming it if it fails."""
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(map(str, command))}\n")
        out.flush()
        result = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise CannotRun(f"`{' '.join(map(str, command[:3]))} ...` failed (exit {result.returncode}); its output is in {log}")


def cells(path):
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["cells"]


def grade_id(cell):
    return nbgrader_metadata(cell).get("grade_id")


def instructor_copy(release, source):
    """The student version with every solution cell filled in from the course's notebook."""
    notebook = json.loads(pathlib.Path(release).read_text(encoding="utf-8"))
    answers = {grade_id(c): c["source"] for c in cells(source) if is_solution(c)}
    for cell in notebook["cells"]:
        if is_solution(cell):
            cell["source"] = answers[grade_id(cell)]
    return notebook


def wrong_copy(notebook):
    _, cell_id, text, replacement, _ = WRONG
    cell = next(c for c in notebook["cells"] if grade_id(c) == cell_id)
    source = "".join(cell["source"])
    if text not in source:
        raise CannotRun(f"the wrong answer cannot be made: {cell_id} no longer contains {text!r}")
    cell["source"] = source.replace(text, replacement)
    return notebook


def write(notebook, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def check(names, work):
    log = work / "nbgrader.log"
    venv, course = work / "venv", work / "course"
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("VIRTUAL_ENV", None)
    env.pop("NBGRADER_EXECUTION", None)
    print(f"building a throwaway environment in {venv} (course packages + nbgrader) ...", flush=True)
    run([sys.executable, "-m", "venv", venv], work, env, log)
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip"], work, env, log)
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "-r", GRADING / "requirements-nbgrader.txt"], ROOT, env, log)

    course.mkdir()
    shutil.copy(GRADING / "nbgrader_config.py", course)
    paths = [p for p in NOTEBOOKS if p.name[:2] in names]
    for path in paths:
        (course / "source" / path.stem).mkdir(parents=True)
        shutil.copy(path, course / "source" / path.stem / path.name)
    problems = []

    # 1. Student versions, and make student's copies of the same notebooks.
    for path in paths:
        run([venv / "bin" / "nbgrader", "generate_assignment", path.stem], course, env, log)
    run([venv / "bin" / "python", ROOT / "tools" / "make_student.py", "--out", work / "student", *paths], ROOT, env, log)
    for path in paths:
        release = course / "release" / path.stem / path.name
        ours = cells(work / "student" / path.name)
        theirs = cells(release)
        differ = [i + 1 for i, (a, b) in enumerate(zip(theirs, ours)) if "".join(a["source"]) != "".join(b["source"])]
        if len(theirs) != len(ours) or differ:
            problems.append(f"{path.name}: nbgrader's student version and make student's copy differ "
                            f"(cells {differ[:5]}, {len(theirs)} against {len(ours)} cells)")
        if any(is_solution(c) and c["metadata"].get("jupyter", {}).get("source_hidden") for c in theirs):
            problems.append(f"{path.name}: a stub in nbgrader's student version is collapsed (grading/nbgrader_config.py not loaded?)")

    # 2. Three submissions, autograded.
    students = ["instructor", "untouched"] + (["one_wrong"] if WRONG[0] in names else [])
    for student in students:
        run([venv / "bin" / "nbgrader", "db", "student", "add", student], course, env, log)
    for path in paths:
        release = course / "release" / path.stem / path.name
        submitted = course / "submitted"
        write(instructor_copy(release, path), submitted / "instructor" / path.stem / path.name)
        shutil.copytree(release.parent, submitted / "untouched" / path.stem)
        if path.name[:2] == WRONG[0]:
            write(wrong_copy(instructor_copy(release, path)), submitted / "one_wrong" / path.stem / path.name)
        print(f"autograding {path.stem} ({', '.join(s for s in students if (submitted / s / path.stem).exists())}) ...", flush=True)
        run([venv / "bin" / "nbgrader", "autograde", path.stem], course, env, log)
    grades = json.loads(subprocess.run([venv / "bin" / "python", "-c", READ_GRADES], cwd=course, env=env,
                                       capture_output=True, text=True, check=True).stdout)
    rows = []
    for path in paths:
        graded = students if path.name[:2] == WRONG[0] else students[:2]
        by_student = {s: grades.get(s, {}).get(path.stem) for s in graded}
        if any(g is None for g in by_student.values()):
            problems.append(f"{path.name}: not autograded for {[s for s, g in by_student.items() if g is None]}")
            continue
        tests = {name: g for name, g in by_student["instructor"].items() if g["type"] == "code"}
        answers = {name: g for name, g in by_student["instructor"].items() if g["type"] == "markdown"}
        full = sum(g["max"] for g in tests.values())
        got = {s: sum(by_student[s][name]["auto"] or 0 for name in tests) for s in graded}
        if got["instructor"] != full:
            lost = [name for name, g in tests.items() if g["auto"] != g["max"]]
            problems.append(f"{path.name}: the instructor's solutions scored {got['instructor']:g} of {full:g} (lost {lost})")
        if not all(g["manual"] for g in answers.values()):
            problems.append(f"{path.name}: a written answer of the instructor's was not left for grading by hand")
        if any(by_student["untouched"][name]["auto"] for name in by_student["untouched"]):
            problems.append(f"{path.name}: the untouched student version scored points: "
                            f"{ {n: g['auto'] for n, g in by_student['untouched'].items() if g['auto']} }")
        row = [path.name[:2], f"{full:g}", f"{got['instructor']:g}", f"{got['untouched']:g}",
               f"{sum(g['max'] for g in answers.values()):g}"]
        if path.name[:2] == WRONG[0]:
            wrong = by_student["one_wrong"]
            failing = sorted(name for name in tests if wrong[name]["auto"] != by_student["instructor"][name]["auto"])
            if failing != [WRONG[4]] or got["one_wrong"] != full - tests[WRONG[4]]["max"]:
                problems.append(f"{path.name}: one wrong answer ({WRONG[1]}) changed {failing}, scoring "
                                f"{got['one_wrong']:g} of {full:g}; expected only {WRONG[4]} to fail")
            row.append(f"{got['one_wrong']:g} ({', '.join(failing)} lost)")
        else:
            row.append("")
        rows.append(row)
    header = ["notebook", "autograded points", "instructor", "untouched", "written (by hand)", "one wrong"]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", default=",".join(p.name[:2] for p in NOTEBOOKS),
                        help="which notebooks, by number (default: all)")
    parser.add_argument("--keep", type=pathlib.Path, help="work in this new folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.notebooks.split(",") if n.strip()]
    unknown = sorted(set(names) - {p.name[:2] for p in NOTEBOOKS})
    if unknown or not names:
        print(f"nbgrader_check: no notebook numbered {unknown or 'at all'}; the course has "
              f"{', '.join(p.name[:2] for p in NOTEBOOKS)}.", file=sys.stderr)
        return 2
    if args.keep and args.keep.exists():
        print(f"nbgrader_check: {args.keep} exists; give a new folder to --keep.", file=sys.stderr)
        return 2
    work = args.keep.resolve() if args.keep else pathlib.Path(tempfile.mkdtemp(prefix="nbgrader-check-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        problems = check(names, work)
    except CannotRun as exc:
        print(f"nbgrader_check: {exc}.", file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            # keep the log of a failed run next to nothing else: copy it out before the folder goes
            log = work / "nbgrader.log"
            if log.exists():
                shutil.copy(log, pathlib.Path(tempfile.gettempdir()) / "nbgrader-check.log")
            shutil.rmtree(work, ignore_errors=True)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    print(f"nbgrader: {len(names) - len({p.split(':')[0] for p in problems})} passed, "
          f"{len({p.split(':')[0] for p in problems})} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
