"""Lay out the course's pages for Sphinx, as copies in a build folder (`make site` runs it).

    python site/stage.py build/site/src

The folder gets site/'s pages (index.md), README.md, TEACHING.md and notebooks/[0-9]*.ipynb, at the
same relative paths as in the repository, so the links between them resolve as they do on GitHub.
The originals are only read. In the copies:

- each progress bar (an ipywidgets output, as tqdm.auto draws it in JupyterLab) becomes static
  HTML drawn from the widget state the notebook saved, so the page shows the bar as it finished
  (100 %, green) without loading the widgets' JavaScript from a CDN;
- a cell that JupyterLab shows collapsed (an exercise's solution) is collapsed on the page too;
- a matplotlib animation's stylesheet link to a CDN is dropped: the site ships the icons it needs;
- a relative link to a repository file that is not a page (`tools/badges.py`) points at that file
  on GitHub, at the repository and ref of course.toml; an image it shows is copied along.

Needs nbformat (in .venv-site, through myst-nb, and in .venv). Exit 0, or 2 with one sentence.
"""
from __future__ import annotations

import html
import os
import pathlib
import posixpath
import re
import shutil
import sys
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
sys.path.insert(0, str(ROOT / "tools"))  # badges.py: the course's repository and ref

import badges  # noqa: E402
import nbformat  # noqa: E402

PAGES = ("README.md", "TEACHING.md")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
IMAGE_SUFFIXES = {".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp"}
# A matplotlib animation (to_jshtml) loads Font Awesome 4 from a CDN for its buttons' icons; the
# theme ships Font Awesome, which knows the same icon names.
CDN_STYLESHEET_RE = re.compile(r'<link\s+rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*"\s*/?>\n?')
# The target of a Markdown link or image: what follows "](" up to ")" or a space (a title).
LINK_TARGET_RE = re.compile(r"(?<=\]\()(?P<target>[^)\s]+)")


class StageError(Exception):
    """A page the site cannot show as JupyterLab would; one sentence."""


# ---------------------------------------------------------------------------- progress bars

def _model(models: dict, ref: str) -> dict:
    model_id = ref.removeprefix("IPY_MODEL_")
    if model_id not in models:
        raise KeyError(model_id)
    return models[model_id]


def _hidden(models: dict, state: dict) -> bool:
    layout = state.get("layout")
    if not isinstance(layout, str):
        return False
    try:
        layout_state = _model(models, layout)["state"]
    except KeyError:
        return False
    return layout_state.get("display") == "none" or layout_state.get("visibility") == "hidden"


def widget_html(model_id: str, models: dict) -> str:
    """Static HTML for a saved widget: boxes, HTML, labels and progress bars, as the widget's last
    state shows them. KeyError when a model is not saved; StageError for a kind it cannot draw."""
    model = _model(models, model_id)
    name, state = model.get("model_name"), model.get("state", {})
    if _hidden(models, state):
        return ""
    description = state.get("description") or ""
    label = (f'<span class="course-widget-description">{html.escape(description)}</span>'
             if description else "")
    if name in ("HBoxModel", "VBoxModel", "BoxModel"):
        direction = "column" if name == "VBoxModel" else "row"
        children = "".join(widget_html(ref, models) for ref in state.get("children", []))
        return f'<div class="course-widget course-widget-{direction}">{children}</div>'
    if name in ("HTMLModel", "HTMLMathModel"):
        # Like JupyterLab: the widget's value is HTML (tqdm escapes its own text).
        return f'<div class="course-widget-html">{label}{state.get("value", "")}</div>'
    if name == "LabelModel":
        return f'<div class="course-widget-html">{label}{html.escape(str(state.get("value", "")))}</div>'
    if name in ("FloatProgressModel", "IntProgressModel"):
        low, high = float(state.get("min", 0)), float(state.get("max", 100))
        value = float(state.get("value", 0))
        fraction = 0.0 if high <= low else min(max((value - low) / (high - low), 0.0), 1.0)
        style = state.get("bar_style") or ""
        kind = f" course-progress-{style}" if style in ("success", "info", "warning", "danger") else ""
        return (f'{label}<div class="course-progress{kind}" role="progressbar" aria-valuemin="{low:g}" '
                f'aria-valuemax="{high:g}" aria-valuenow="{value:g}">'
                f'<div class="course-progress-fill" style="width: {100 * fraction:.1f}%"></div></div>')
    raise StageError(f"a widget of kind {name} has no static form on the site (site/stage.py draws boxes, "
                     "HTML, labels and progress bars)")


def convert_widgets(nb: nbformat.NotebookNode, where: str) -> int:
    """Replace each widget output by static HTML from the notebook's saved widget state, and drop
    the state (myst-nb would load the widgets' JavaScript from a CDN for it). Returns the count.

    An output whose widget was not saved (closed, or the notebook saved without widget state)
    keeps its text form, which tqdm writes when the bar is drawn."""
    saved = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {})
    models = saved.get("state", {})
    converted = 0
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW not in data:
                continue
            view = data.pop(WIDGET_VIEW)
            try:
                static = widget_html(view["model_id"], models)
            except KeyError:
                continue  # the text/plain form stays
            except StageError as error:
                raise StageError(f"{where}, cell {index}: {error}") from None
            data["text/html"] = f'<div class="course-widget-output">{static}</div>'
            converted += 1
    nb.metadata.pop("widgets", None)
    return converted


# ---------------------------------------------------------------------------- collapsed cells

def collapse_solutions(nb: nbformat.NotebookNode) -> int:
    """Collapse on the page what JupyterLab shows collapsed (`jupyter.source_hidden`): a code
    cell behind myst-nb's toggle, a markdown cell (a written answer) in a closed dropdown."""
    count = 0
    for cell in nb.cells:
        hidden = cell.metadata.get("jupyter", {})
        if not hidden.get("source_hidden"):
            continue
        count += 1
        if cell.cell_type == "code":
            tags = cell.metadata.setdefault("tags", [])
            tag = "hide-cell" if hidden.get("outputs_hidden") or not cell.get("outputs") else "hide-input"
            if tag not in tags:
                tags.append(tag)
        elif cell.cell_type == "markdown":
            fence = ":" * max(4, 1 + max((len(m) for m in re.findall(r"^:{3,}", cell.source, re.M)), default=0))
            cell.source = f"{fence}{{dropdown}} Answer\n:class-container: course-answer\n\n{cell.source}\n{fence}\n"
    return count


# ---------------------------------------------------------------------------- links

def rewrite_links(text: str, page: str, pages: set[str], course: badges.Course, dest: pathlib.Path) -> str:
    """The Markdown text of the page at repository path `page`, with each relative link to a
    repository file that is not a page pointed at GitHub, and each image it shows copied along."""
    base = posixpath.dirname(page)

    def fix(match: re.Match) -> str:
        target = match.group("target")
        parts = urllib.parse.urlsplit(target)
        if parts.scheme or parts.netloc or target.startswith(("#", "/")) or not parts.path:
            return target
        path = posixpath.normpath(posixpath.join(base, urllib.parse.unquote(parts.path)))
        if path.startswith("../") or path in pages:
            return target
        source = course.root / path
        if not source.exists():
            return target  # Sphinx reports the broken link, and the build fails
        if source.is_file() and source.suffix.lower() in IMAGE_SUFFIXES:
            (dest / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / path)
            return target
        kind = "tree" if source.is_dir() else "blob"
        anchor = f"#{parts.fragment}" if parts.fragment else ""
        return f"https://github.com/{course.repo}/{kind}/{course.ref}/{urllib.parse.quote(path)}{anchor}"

    return LINK_TARGET_RE.sub(fix, text)


# ---------------------------------------------------------------------------- the folder

def notebook_paths(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    return sorted((root / "notebooks").glob("[0-9]*.ipynb"))


def stage_notebook(path: pathlib.Path, pages: set[str], course: badges.Course, dest: pathlib.Path) -> None:
    page = path.relative_to(course.root).as_posix()
    nb = nbformat.read(path, as_version=4)
    convert_widgets(nb, page)
    collapse_solutions(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = rewrite_links(cell.source, page, pages, course, dest)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                data["text/html"] = CDN_STYLESHEET_RE.sub("", data["text/html"])
    (dest / page).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest / page)


def stage(dest: pathlib.Path, root: pathlib.Path = ROOT) -> list[str]:
    """Write the site's source folder; returns the pages, as repository paths."""
    course = badges.load_course(root)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    notebooks = notebook_paths(root)
    if not notebooks:
        raise StageError("notebooks/ has no numbered notebook to put on the site")
    site_pages = sorted(p.name for p in (root / "site").glob("*.md"))
    pages = set(PAGES) | set(site_pages) | {p.relative_to(root).as_posix() for p in notebooks}
    for name in site_pages:
        shutil.copy2(root / "site" / name, dest / name)
    for name in PAGES:
        text = (root / name).read_text(encoding="utf-8")
        (dest / name).write_text(rewrite_links(text, name, pages, course, dest), encoding="utf-8")
    for path in notebooks:
        stage_notebook(path, pages, course, dest)
    return sorted(pages)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python site/stage.py DEST  (e.g. build/site/src)", file=sys.stderr)
        return 2
    dest = pathlib.Path(args[0]).resolve()
    if dest == ROOT or ROOT.is_relative_to(dest) or dest.is_relative_to(ROOT / "notebooks"):
        print(f"stage: {dest} would replace the course's own files; give a folder under build/", file=sys.stderr)
        return 2
    try:
        pages = stage(dest)
    except (StageError, badges.CourseError, ValueError) as error:
        print(f"stage: {error}", file=sys.stderr)
        return 2
    print(f"stage: {len(pages)} pages in {os.path.relpath(dest)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
