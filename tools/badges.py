"""Point every Binder and Colab link of the course at one GitHub repository and one ref.

The repository's address and its ref (a branch, tag or commit) live in course.toml. This script
makes README.md and the notebooks agree with them:

- every Binder and Colab link in README.md and in the notebooks' markdown cells points at the
  repository at that ref; a GitHub link to the old address follows it, and so does a link to the
  course's website on GitHub Pages (https://owner.github.io/name/, `make site`);
- each notebook's title cell has, right under its "# " title, a line of badges that open that
  notebook on Binder and on Colab;
- each notebook's Setup code cell (the first code cell after the "## Setup" heading) starts
  with a block that, on Colab only, installs dqn_helpers from the repository at that ref; pip
  adds only the dependencies Colab lacks and keeps the packages Colab has.

With a tag as the ref, every learner gets the same code: Binder builds one image for it, and
Colab opens and installs that tag, not whatever was pushed last.

Only the sources of those cells change: outputs, execution counts and metadata stay as they
are. Notebooks are read and written with nbformat and course.toml is read with tomllib, so the
script understands every spelling those formats allow.

    make badges                     # follow course.toml
    make badges REPO=owner/name     # move the course to a fork
    make badges REF=v2026.1         # point a class at a tag (or a branch, or a commit)
    make badges CHECK=1             # change nothing; exit 1 listing what disagrees

(or .venv/bin/python tools/badges.py [--repo owner/name] [--ref name] [--check]).
It needs nbformat, in the course's .venv, and Python 3.11 or newer (on 3.10, the tomli
package). Exit code 0; 1 when --check finds a disagreement; 2 with one sentence when it cannot
go on (course.toml unreadable, a notebook without its title or Setup cell), and then it has
written nothing.
"""
from __future__ import annotations

import argparse
import pathlib
import re
import sys
import urllib.parse
from dataclasses import dataclass

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # notebook_io, next to this file

try:
    import nbformat
    import notebook_io
except ModuleNotFoundError as missing:
    print(f"badges: the module {missing.name} is missing; run the tool with the course's Python: "
          "make badges (or .venv/bin/python tools/badges.py).", file=sys.stderr)
    raise SystemExit(2) from None

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the course's .venv runs 3.11
    try:
        import tomli as tomllib
    except ModuleNotFoundError:
        tomllib = None

ROOT = pathlib.Path(__file__).resolve().parents[1]

REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+$")
# A branch, tag or commit as git spells it: letters, digits and ._/-, no "..", not starting with - or /.
REF_RE = re.compile(r"^(?![-/])(?!.*\.\.)[A-Za-z0-9._/-]+$")
DEFAULT_REF = "main"

# A URL ends at whitespace, a closing parenthesis or bracket, a quote or an angle bracket.
_URL_END = r"[^\s)\]\"'<>]"
BINDER_RE = re.compile(
    rf"https://mybinder\.org/v2/gh/(?P<repo>[^/\s)]+/[^/\s)]+)/(?P<ref>[^?\s)\]\"'<>]+)(?P<query>\?{_URL_END}*)?")
# A ref may hold slashes, so where it ends in a Colab link is decided later (split_colab_ref).
COLAB_RE = re.compile(
    rf"https://colab\.research\.google\.com/github/(?P<repo>[^/\s)]+/[^/\s)]+)/blob/(?P<rest>[^/\s)]{_URL_END}*)")

BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
# A line made only of Binder or Colab badges: what the title cell's badge line looks like.
BADGE_LINE_RE = re.compile(
    r"^\s*(?:\[!\[[^\]]*\]\([^)]*\)\]\((?:https://mybinder\.org|https://colab\.research\.google\.com)[^)]*\)\s*)+$")

COLAB_GUARD = 'if "google.colab" in sys.modules:'


@dataclass(frozen=True)
class Course:
    """What the links are made from: the repository and its ref (a branch, tag or commit)."""

    root: pathlib.Path
    repo: str
    ref: str

    @property
    def notebooks(self) -> list[pathlib.Path]:
        return sorted((self.root / "notebooks").glob("[0-9]*.ipynb"))


class CourseError(Exception):
    """A problem that stops the script before it writes anything."""


# ---------------------------------------------------------------------------- configuration

def parse_config(text: str, name: str = "course.toml") -> dict:
    """course.toml's table, as tomllib reads it."""
    if tomllib is None:
        raise CourseError(f"reading {name} on Python 3.10 needs the tomli package (pip install tomli), "
                          "or use Python 3.11 or newer")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CourseError(f"{name} is not valid TOML ({error}); fix it, then run again") from None


def read_config(root: pathlib.Path) -> tuple[str, str]:
    """The repository (owner/name) and the ref (branch, tag or commit) that course.toml holds."""
    path = root / "course.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CourseError(f"cannot read course.toml ({error.strerror}): it holds the repository's address") from None
    config = parse_config(text)
    if "branch" in config:
        raise CourseError("course.toml: the key branch is now called ref (a branch, tag or commit); "
                          "rename it, then run again")
    repo, ref = config.get("repository"), config.get("ref", DEFAULT_REF)
    if repo is None:
        raise CourseError('course.toml has no repository = "owner/name" line')
    if not isinstance(repo, str) or not REPO_RE.match(repo):
        raise CourseError(f'course.toml: repository must be a string like "owner/name", not {repo!r}')
    if not isinstance(ref, str) or not REF_RE.match(ref):
        raise CourseError(f'course.toml: ref must be a branch, tag or commit like "main" or "v2026.1", not {ref!r}')
    return repo, ref


def _key_line(key: str) -> re.Pattern:
    """A top-level `key = "value"` or `key = 'value'` line, with any spaces and a trailing comment."""
    return re.compile(
        rf"""^(?P<head>[ \t]*(?:{key}|"{key}"|'{key}')[ \t]*=[ \t]*)"""
        r"""(?P<value>"(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*')"""
        r"""(?P<tail>[ \t]*(?:\#[^\r\n]*)?)(?=\r?$)""", re.M)


def config_text(root: pathlib.Path, repo: str, ref: str) -> str | None:
    """course.toml's text with repo and ref, or None when it already holds them.

    Only the value of each line changes (its key, quotes, spacing and comment stay); a missing key
    is added before the first table. The result is read back with tomllib and must say exactly
    what the old file said but for the two values, so the script never writes a course.toml that
    tomllib cannot read or that says something else.
    """
    text = (root / "course.toml").read_text(encoding="utf-8")
    old = parse_config(text)
    wanted = {**old, "repository": repo, "ref": ref}
    if old.get("ref") is None and ref == DEFAULT_REF:
        del wanted["ref"]  # the default needs no line
    if wanted == old:
        return None
    # Top-level keys come before the first table: only that part is rewritten.
    table = re.search(r"^[ \t]*\[", text, re.M)
    top, tables = (text[:table.start()], text[table.start():]) if table else (text, "")
    for key in ("repository", "ref"):
        if key not in wanted or old.get(key) == wanted[key]:
            continue
        pattern = _key_line(key)
        if pattern.search(top):
            # The value keeps its quotes: a repository or a ref needs no escaping in either.
            top = pattern.sub(lambda m: m.group("head") + m.group("value")[0] + wanted[key] + m.group("value")[0]
                              + m.group("tail"), top, count=1)
        else:
            top = (top if top.endswith("\n") or not top else top + "\n") + f'{key} = "{wanted[key]}"\n'
    new = top + tables
    try:
        reread = parse_config(new)
    except CourseError:
        reread = None
    if reread != wanted:
        raise CourseError(f"cannot rewrite course.toml safely by its lines; write repository = \"{repo}\" "
                          f"and ref = \"{ref}\" in it yourself, then run `make badges` again")
    return new


def load_course(root: pathlib.Path) -> Course:
    repo, ref = read_config(root)
    return Course(root=root, repo=repo, ref=ref)


# ---------------------------------------------------------------------------- what to write

def binder_url(course: Course, notebook: str) -> str:
    path = urllib.parse.quote(f"notebooks/{notebook}", safe="")
    return f"https://mybinder.org/v2/gh/{course.repo}/{course.ref}?labpath={path}"


def colab_url(course: Course, notebook: str) -> str:
    return f"https://colab.research.google.com/github/{course.repo}/blob/{course.ref}/notebooks/{notebook}"


def badge_line(course: Course, notebook: str) -> str:
    return (f"[![Open in Binder]({BINDER_BADGE})]({binder_url(course, notebook)}) "
            f"[![Open In Colab]({COLAB_BADGE})]({colab_url(course, notebook)})")


def colab_block(course: Course) -> str:
    return (
        "import sys\n"
        f"{COLAB_GUARD}  # on Colab only: add the course's package, keep Colab's packages\n"
        f'    %pip install --quiet "dqn_helpers @ git+https://github.com/{course.repo}@{course.ref}"\n'
    )


# ---------------------------------------------------------------------------- rewriting links

def split_colab_ref(rest: str, refs: tuple[str, ...] = ()) -> tuple[str, str]:
    """(ref, path) of what follows /blob/ in a Colab link. A ref may hold slashes, so one of refs
    (the course's) is taken when the link starts with it; otherwise the ref ends at the first slash."""
    for ref in sorted(set(refs), key=len, reverse=True):
        if rest.startswith(ref + "/"):
            return ref, rest[len(ref) + 1:]
    ref, _, path = rest.partition("/")
    return ref, path


def rewrite_links(text: str, course: Course, old_repo: str | None = None, old_ref: str | None = None) -> str:
    """Every Binder and Colab link in text now points at course.repo and course.ref, and GitHub
    links to old_repo at course.repo."""
    refs = (course.ref,) + ((old_ref,) if old_ref else ())
    text = BINDER_RE.sub(lambda m: f"https://mybinder.org/v2/gh/{course.repo}/{course.ref}{m.group('query') or ''}", text)
    text = COLAB_RE.sub(
        lambda m: f"https://colab.research.google.com/github/{course.repo}/blob/{course.ref}/"
                  f"{split_colab_ref(m.group('rest'), refs)[1]}", text)
    if old_repo and old_repo != course.repo:
        text = re.sub(rf"(?<=https://github\.com/){re.escape(old_repo)}(?=\.git|[/\s)\]\"'#?<>]|$)", course.repo, text)
        # The course's website on GitHub Pages (make site): https://owner.github.io/name/
        (old_owner, old_name), (owner, name) = old_repo.split("/"), course.repo.split("/")
        text = re.sub(rf"https://{re.escape(old_owner)}\.github\.io/{re.escape(old_name)}(?=[/\s)\]\"'#?<>]|$)",
                      f"https://{owner.lower()}.github.io/{name}", text, flags=re.I)
    return text


def link_problems(text: str, course: Course, where: str) -> list[str]:
    """Binder or Colab links that point elsewhere than course.toml, or at a missing notebook."""
    problems = []
    for m in BINDER_RE.finditer(text):
        ref = urllib.parse.unquote(m.group("ref"))  # Binder reads spring%2F2026 as spring/2026
        if (m.group("repo"), ref) != (course.repo, course.ref):
            problems.append(f"{where}: Binder link points at {m.group('repo')} ref {ref}, "
                            f"course.toml says {course.repo} ref {course.ref}: {m.group(0)}")
        query = urllib.parse.parse_qs((m.group("query") or "?")[1:])
        for path in query.get("labpath", []) + query.get("urlpath", []):
            path = path.removeprefix("lab/tree/").removeprefix("tree/")
            if path.endswith(".ipynb") and not (course.root / path).is_file():
                problems.append(f"{where}: Binder link opens {path}, which does not exist")
    for m in COLAB_RE.finditer(text):
        ref, path = split_colab_ref(m.group("rest"), (course.ref,))
        if (m.group("repo"), ref) != (course.repo, course.ref):
            problems.append(f"{where}: Colab link points at {m.group('repo')} ref {ref}, "
                            f"course.toml says {course.repo} ref {course.ref}: {m.group(0)}")
        path = urllib.parse.unquote(path)
        if not (course.root / path).is_file():
            problems.append(f"{where}: Colab link opens {path}, which does not exist")
    return problems


# ---------------------------------------------------------------------------- notebooks

def read_notebook(path: pathlib.Path) -> nbformat.NotebookNode:
    """The notebook at path, read and checked as every tool reads it (notebook_io)."""
    try:
        return notebook_io.read_notebook(path)
    except ValueError as error:
        raise CourseError(str(error)) from None


def cell_text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


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
    nb = read_notebook(path)
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


def updated_notebook(path: pathlib.Path, course: Course, old_repo: str,
                     old_ref: str | None = None) -> tuple[nbformat.NotebookNode, list[str]]:
    """The notebook with its links, badges and Colab block updated, and what changed in it;
    only cell sources change."""
    nb = read_notebook(path)
    changes = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = cell_text(cell)
            new = rewrite_links(text, course, old_repo, old_ref)
            if new != text:
                cell.source = new
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
        nb.cells[title].source = new
        changes.append("badges")
    setup = setup_cell_index(nb)
    if setup is None:
        raise CourseError(f'{path.name}: no code cell after a "## Setup" markdown cell')
    text = cell_text(nb["cells"][setup])
    new = with_colab_block(text, colab_block(course))
    if new != text:
        nb.cells[setup].source = new
        changes.append("Colab block")
    return nb, sorted(set(changes))


def write_text(path: pathlib.Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:  # "\n" stays "\n" on every system
        f.write(text)


def update(root: pathlib.Path, repo: str | None, ref: str | None) -> list[str]:
    """Rewrite README.md, the notebooks and course.toml; returns one line per changed file."""
    old_repo, old_ref = read_config(root)
    course = Course(root=root, repo=repo or old_repo, ref=ref or old_ref)
    # Work out every new text first, so that a file the script cannot handle stops it
    # before it has written anything.
    config = config_text(root, course.repo, course.ref)
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    new_readme = rewrite_links(text, course, old_repo, old_ref)
    notebooks, errors = {}, []
    for path in course.notebooks:
        try:
            nb, changes = updated_notebook(path, course, old_repo, old_ref)
        except CourseError as error:
            errors.append(str(error))
            continue
        if changes:
            notebooks[path] = (nb, changes)
    if errors:
        raise CourseError("\n".join(errors))
    report = []
    if new_readme != text:
        write_text(readme, new_readme)
        report.append("README.md: links")
    for path, (nb, changes) in notebooks.items():
        nbformat.write(nb, path)
        report.append(f"{path.relative_to(root).as_posix()}: {', '.join(changes)}")
    if config is not None:  # last: until it is written, running the script again redoes the rest
        write_text(root / "course.toml", config)
        report.insert(0, f"course.toml: repository = {course.repo}, ref = {course.ref}")
    return report


# ---------------------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", help="owner/name of the GitHub repository, e.g. a fork; stored in course.toml")
    parser.add_argument("--ref", help="branch, tag or commit that Binder and Colab open and Colab installs, "
                                      "e.g. a tag such as v2026.1; stored in course.toml (default: course.toml's, main)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything disagrees")
    parser.add_argument("--root", type=pathlib.Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repo is not None:
        args.repo = args.repo.strip().removeprefix("https://github.com/").removesuffix(".git").strip("/")
        if not REPO_RE.match(args.repo):
            parser.error(f"--repo must look like owner/name, got {args.repo!r}")
    if args.ref is not None and not REF_RE.match(args.ref):
        parser.error(f"--ref must be a branch, tag or commit (letters, digits and ._/-, no \"..\"), got {args.ref!r}")
    try:
        if args.check:
            if args.repo or args.ref:
                parser.error("--check compares with course.toml; leave out --repo and --ref")
            problems = check(load_course(args.root))
            for problem in problems:
                print(problem)
            if problems:
                print(f"{len(problems)} problem(s); `make badges` fixes links, badges and Colab blocks.")
                return 1
            print("All Binder and Colab links agree with course.toml.")
            return 0
        report = update(args.root, args.repo, args.ref)
    except CourseError as error:
        print(f"badges: {error}", file=sys.stderr)
        return 2
    print("\n".join(report) if report else "Nothing to change.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
