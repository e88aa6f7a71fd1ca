"""Point every Binder and Colab link of the course at one GitHub repository.

The repository's address lives in course.toml. This script makes README.md and the notebooks
agree with it:

- every Binder and Colab link in README.md and in the notebooks' markdown cells points at the
  repository (and Colab at its branch); a GitHub link to the old address follows it;
- each notebook's title cell has, right under its "# " title, a line of badges that open that
  notebook on Binder and on Colab;
- each notebook's Setup code cell (the first code cell after the "## Setup" heading) starts
  with a block that, on Colab only, installs what Colab lacks: gymnasium with the pinned
  version and extras of requirements.txt, and dqn_helpers from the repository without its
  dependencies, so that Colab keeps its own TensorFlow.

Only the sources of those cells change: outputs, execution counts and metadata stay as they
are, and a notebook is written back the way nbformat writes it (one-space indent, UTF-8).

    python3 tools/badges.py                     # follow course.toml
    python3 tools/badges.py --repo owner/name   # move the course to a fork (make badges REPO=...)
    python3 tools/badges.py --check             # change nothing; exit 1 listing what disagrees

Standard library only, Python 3.10 or newer, so a teacher can run it before any install.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys
import urllib.parse
from dataclasses import dataclass

ROOT = pathlib.Path(__file__).resolve().parents[1]

REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+$")
BRANCH_RE = re.compile(r"^[A-Za-z0-9._/-]+$")
CONFIG_LINE_RE = r'^(?P<key>{key})\s*=\s*"(?P<value>[^"]*)"[ \t]*$'

# A URL ends at whitespace, a closing parenthesis or bracket, a quote or an angle bracket.
_URL_END = r"[^\s)\]\"'<>]"
BINDER_RE = re.compile(
    rf"https://mybinder\.org/v2/gh/(?P<repo>[^/\s)]+/[^/\s)]+)/(?P<ref>[^?\s)\]\"'<>]+)(?P<query>\?{_URL_END}*)?")
COLAB_RE = re.compile(
    rf"https://colab\.research\.google\.com/github/(?P<repo>[^/\s)]+/[^/\s)]+)/blob/(?P<branch>[^/\s)]+)/(?P<path>{_URL_END}+)")
INSTALL_RE = re.compile(r"git\+https://github\.com/(?P<repo>[A-Za-z0-9-]+/[A-Za-z0-9._-]+?)(?:\.git)?(?=[\"'@#\s]|$)")

BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
# A line made only of Binder or Colab badges: what the title cell's badge line looks like.
BADGE_LINE_RE = re.compile(
    r"^\s*(?:\[!\[[^\]]*\]\([^)]*\)\]\((?:https://mybinder\.org|https://colab\.research\.google\.com)[^)]*\)\s*)+$")

COLAB_GUARD = 'if "google.colab" in sys.modules:'


@dataclass(frozen=True)
class Course:
    """What the links are made from: the repository, Colab's branch and gymnasium's pin."""

    root: pathlib.Path
    repo: str
    branch: str
    gymnasium: str

    @property
    def notebooks(self) -> list[pathlib.Path]:
        return sorted((self.root / "notebooks").glob("[0-9]*.ipynb"))


class CourseError(Exception):
    """A problem that stops the script before it writes anything."""


# ---------------------------------------------------------------------------- configuration

def read_config(root: pathlib.Path) -> tuple[str, str]:
    text = (root / "course.toml").read_text(encoding="utf-8")
    values = {}
    for key in ("repository", "branch"):
        match = re.search(CONFIG_LINE_RE.format(key=key), text, re.M)
        values[key] = match.group("value") if match else None
    if values["repository"] is None:
        raise CourseError('course.toml: no line repository = "owner/name"')
    return values["repository"], values["branch"] or "main"


def write_config(root: pathlib.Path, repo: str, branch: str) -> bool:
    path = root / "course.toml"
    text = path.read_text(encoding="utf-8")
    new = text
    for key, value in (("repository", repo), ("branch", branch)):
        pattern = re.compile(CONFIG_LINE_RE.format(key=key), re.M)
        if pattern.search(new):
            new = pattern.sub(lambda m: f'{m.group("key")} = "{value}"', new)
        else:
            new = new.rstrip("\n") + f'\n{key} = "{value}"\n'
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def gymnasium_requirement(root: pathlib.Path) -> str:
    """The gymnasium line of requirements.txt, e.g. gymnasium[classic-control,toy-text]==1.4.0."""
    for line in (root / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if re.match(r"gymnasium\s*(\[|==)", line):
            if ";" in line:
                raise CourseError(f"requirements.txt: gymnasium line has a marker, Colab needs a plain pin: {line}")
            return re.sub(r"\s+", "", line)
    raise CourseError("requirements.txt: no pinned gymnasium line")


def load_course(root: pathlib.Path) -> Course:
    repo, branch = read_config(root)
    return Course(root=root, repo=repo, branch=branch, gymnasium=gymnasium_requirement(root))


# ---------------------------------------------------------------------------- what to write

def binder_url(course: Course, notebook: str) -> str:
    path = urllib.parse.quote(f"notebooks/{notebook}", safe="")
    return f"https://mybinder.org/v2/gh/{course.repo}/HEAD?labpath={path}"


def colab_url(course: Course, notebook: str) -> str:
    return f"https://colab.research.google.com/github/{course.repo}/blob/{course.branch}/notebooks/{notebook}"


def badge_line(course: Course, notebook: str) -> str:
    return (f"[![Open in Binder]({BINDER_BADGE})]({binder_url(course, notebook)}) "
            f"[![Open In Colab]({COLAB_BADGE})]({colab_url(course, notebook)})")


def colab_block(course: Course) -> str:
    return (
        "import sys\n"
        f"{COLAB_GUARD}  # on Colab only: install what it lacks, keep its own TensorFlow\n"
        f'    %pip install --quiet "{course.gymnasium}"\n'
        f'    %pip install --quiet --no-deps "dqn_helpers @ git+https://github.com/{course.repo}"\n'
    )


# ---------------------------------------------------------------------------- rewriting links

def rewrite_links(text: str, course: Course, old_repo: str | None = None) -> str:
    """Every Binder and Colab link in text, and GitHub links to old_repo, now point at course.repo."""
    text = BINDER_RE.sub(lambda m: f"https://mybinder.org/v2/gh/{course.repo}/{m.group('ref')}{m.group('query') or ''}", text)
    text = COLAB_RE.sub(
        lambda m: f"https://colab.research.google.com/github/{course.repo}/blob/{course.branch}/{m.group('path')}", text)
    if old_repo and old_repo != course.repo:
        text = re.sub(rf"(?<=https://github\.com/){re.escape(old_repo)}(?=\.git|[/\s)\]\"'#?<>]|$)", course.repo, text)
    return text


def link_problems(text: str, course: Course, where: str) -> list[str]:
    """Binder or Colab links that point elsewhere than course.toml, or at a missing notebook."""
    problems = []
    for m in BINDER_RE.finditer(text):
        if m.group("repo") != course.repo:
            problems.append(f"{where}: Binder link points at {m.group('repo')}, course.toml says {course.repo}: {m.group(0)}")
        query = urllib.parse.parse_qs((m.group("query") or "?")[1:])
        for path in query.get("labpath", []) + query.get("urlpath", []):
            path = path.removeprefix("lab/tree/").removeprefix("tree/")
            if path.endswith(".ipynb") and not (course.root / path).is_file():
                problems.append(f"{where}: Binder link opens {path}, which does not exist")
    for m in COLAB_RE.finditer(text):
        if (m.group("repo"), m.group("branch")) != (course.repo, course.branch):
            problems.append(f"{where}: Colab link points at {m.group('repo')} branch {m.group('branch')}, "
                            f"course.toml says {course.repo} branch {course.branch}: {m.group(0)}")
        path = urllib.parse.unquote(m.group("path"))
        if not (course.root / path).is_file():
            problems.append(f"{where}: Colab link opens {path}, which does not exist")
    return problems


# ---------------------------------------------------------------------------- notebooks

def cell_text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def set_cell_text(cell: dict, text: str) -> None:
    # nbformat stores a source as a list of lines, each but the last ending in "\n".
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell.get("source"), list) else text


def title_cell_index(nb: dict) -> int | None:
    return next((i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"), None)


def setup_cell_index(nb: dict) -> int | None:
    cells = nb["cells"]
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown" and cell_text(cell).lstrip().startswith("## Setup"):
            return next((j for j in range(i + 1, len(cells)) if cells[j]["cell_type"] == "code"), None)
    return None


def with_badges(text: str, line: str) -> str:
    """The title cell's text with exactly one badge line, right under its "# " title line."""
    lines = text.split("\n")
    title = next((i for i, l in enumerate(lines) if l.startswith("# ")), None)
    if title is None:
        raise CourseError('its first markdown cell has no "# " title line')
    rest, i = [], title + 1
    while i < len(lines):
        if BADGE_LINE_RE.match(lines[i]):
            i += 1
            if i < len(lines) and not lines[i].strip():
                i += 1  # the blank line that separated the old badges from what follows
            continue
        rest.append(lines[i])
        i += 1
    while rest and not rest[0].strip():
        rest.pop(0)
    return "\n".join(lines[: title + 1] + ["", line] + (["", *rest] if rest else []))


def with_colab_block(text: str, block: str) -> str:
    """The Setup cell's text starting with block (after any leading NBVAL marker comments)."""
    lines = text.split("\n")
    head = 0
    while head < len(lines) and re.match(r"\s*#\s*NBVAL_", lines[head]):
        head += 1
    body = lines[head:]
    if len(body) >= 2 and body[0].strip() == "import sys" and body[1].startswith(COLAB_GUARD):
        end = 2
        while end < len(body) and body[end].startswith((" ", "\t")):
            end += 1
        if end < len(body) and not body[end].strip():
            end += 1
        body = body[end:]
    while body and not body[0].strip():
        body.pop(0)
    return "\n".join(lines[:head] + block.rstrip("\n").split("\n") + ([""] + body if body else []))


def notebook_problems(path: pathlib.Path, course: Course) -> list[str]:
    """Everything about one notebook that disagrees with course.toml (empty when all agree)."""
    where = path.relative_to(course.root).as_posix()
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            problems += link_problems(cell_text(cell), course, where)
    title = title_cell_index(nb)
    if title is None:
        problems.append(f"{where}: no markdown cell for the title")
    else:
        text = cell_text(nb["cells"][title])
        try:
            if with_badges(text, badge_line(course, path.name)) != text:
                has = any(BADGE_LINE_RE.match(l) for l in text.split("\n"))
                problems.append(f"{where}: title cell " + (
                    "has badges that differ from the expected ones" if has else "has no Binder/Colab badges")
                    + " (make badges)")
        except CourseError as error:
            problems.append(f"{where}: {error}")
    setup = setup_cell_index(nb)
    if setup is None:
        problems.append(f'{where}: no code cell after a "## Setup" markdown cell')
    else:
        text = cell_text(nb["cells"][setup])
        if with_colab_block(text, colab_block(course)) != text:
            has = COLAB_GUARD in text
            problems.append(f"{where}: Setup cell " + (
                "has a Colab install block that differs from the expected one" if has
                else "has no Colab install block") + " (make badges)")
    return problems


def readme_problems(course: Course) -> list[str]:
    path = course.root / "README.md"
    text = path.read_text(encoding="utf-8")
    problems = link_problems(text, course, "README.md")
    if course.notebooks:
        first = course.notebooks[0].name
        if binder_url(course, first) not in text:
            problems.append(f"README.md: no Binder badge opening notebooks/{first} ({binder_url(course, first)})")
        if colab_url(course, first) not in text:
            problems.append(f"README.md: no Colab badge opening notebooks/{first} ({colab_url(course, first)})")
    return problems


def check(course: Course) -> list[str]:
    problems = readme_problems(course)
    if not course.notebooks:
        problems.append("notebooks/: no numbered notebook")
    for path in course.notebooks:
        problems += notebook_problems(path, course)
    return problems


def dump_notebook(nb: dict) -> str:
    """The text nbformat.write produces for nb."""
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def updated_notebook(path: pathlib.Path, course: Course, old_repo: str) -> tuple[str, list[str]]:
    """The notebook's new text and what changed in it; only cell sources change."""
    original = path.read_text(encoding="utf-8")
    nb = json.loads(original)
    changes = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = cell_text(cell)
            new = rewrite_links(text, course, old_repo)
            if new != text:
                set_cell_text(cell, new)
                changes.append("links")
    title = title_cell_index(nb)
    if title is None:
        raise CourseError(f"{path.name}: no markdown cell for the title")
    text = cell_text(nb["cells"][title])
    try:
        new = with_badges(text, badge_line(course, path.name))
    except CourseError as error:
        raise CourseError(f"{path.name}: {error}") from None
    if new != text:
        set_cell_text(nb["cells"][title], new)
        changes.append("badges")
    setup = setup_cell_index(nb)
    if setup is None:
        raise CourseError(f'{path.name}: no code cell after a "## Setup" markdown cell')
    text = cell_text(nb["cells"][setup])
    new = with_colab_block(text, colab_block(course))
    if new != text:
        set_cell_text(nb["cells"][setup], new)
        changes.append("Colab block")
    return (dump_notebook(nb) if changes else original), sorted(set(changes))


def update(root: pathlib.Path, repo: str | None, branch: str | None) -> list[str]:
    """Rewrite README.md, the notebooks and course.toml; returns one line per changed file."""
    old_repo, old_branch = read_config(root)
    course = Course(root=root, repo=repo or old_repo, branch=branch or old_branch,
                    gymnasium=gymnasium_requirement(root))
    # Work out every new text first, so that a notebook the script cannot handle stops it
    # before it has written anything.
    writes = {}
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    new = rewrite_links(text, course, old_repo)
    if new != text:
        writes[readme] = (new, ["links"])
    errors = []
    for path in course.notebooks:
        try:
            new, changes = updated_notebook(path, course, old_repo)
        except CourseError as error:
            errors.append(str(error))
            continue
        if changes:
            writes[path] = (new, changes)
    if errors:
        raise CourseError("\n".join(errors))
    report = []
    if write_config(root, course.repo, course.branch):
        report.append(f"course.toml: repository = {course.repo}, branch = {course.branch}")
    for path, (new, changes) in writes.items():
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(new)
        report.append(f"{path.relative_to(root).as_posix()}: {', '.join(changes)}")
    return report


# ---------------------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", help="owner/name of the GitHub repository, e.g. a fork; stored in course.toml")
    parser.add_argument("--branch", help="branch Colab opens the notebooks from (default: course.toml's, main)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything disagrees")
    parser.add_argument("--root", type=pathlib.Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repo is not None:
        args.repo = args.repo.strip().removeprefix("https://github.com/").removesuffix(".git").strip("/")
        if not REPO_RE.match(args.repo):
            parser.error(f"--repo must look like owner/name, got {args.repo!r}")
    if args.branch is not None and not BRANCH_RE.match(args.branch):
        parser.error(f"--branch: not a branch name: {args.branch!r}")
    try:
        if args.check:
            if args.repo or args.branch:
                parser.error("--check compares with course.toml; leave out --repo and --branch")
            problems = check(load_course(args.root))
            for problem in problems:
                print(problem)
            if problems:
                print(f"{len(problems)} problem(s); `make badges` fixes links, badges and Colab blocks.")
                return 1
            print("All Binder and Colab links agree with course.toml.")
            return 0
        report = update(args.root, args.repo, args.branch)
    except CourseError as error:
        print(f"badges: {error}", file=sys.stderr)
        return 1
    print("\n".join(report) if report else "Nothing to change.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
