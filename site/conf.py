"""Sphinx configuration of the course's website (`make site`; see README.md, "Website").

Sphinx reads the pages from the folder site/stage.py lays out (build/site/src) and this file from
site/ (`sphinx-build -c site`). Nothing is executed and nothing is downloaded: the notebooks keep
their committed outputs, and MathJax is copied into the site from an installed package.
The launch buttons of each notebook page open it on Binder and on Colab at the repository and
ref of course.toml, with the very links tools/badges.py writes into the notebooks.
"""
import importlib.util
import pathlib
import shutil
import sys

SITE = pathlib.Path(__file__).resolve().parent
ROOT = SITE.parent
sys.path.insert(0, str(ROOT / "tools"))  # badges.py: course.toml, binder_url, colab_url

import badges  # noqa: E402

COURSE = badges.load_course(ROOT)

project = "From Q-tables to Deep Q-Networks"
html_title = "From Q-tables to Deep Q-Networks"
language = "en"

extensions = ["myst_nb", "sphinx_design"]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# MyST: $...$ math as on GitHub and in JupyterLab, anchors for links to headings, ::: fences
# (site/stage.py puts written answers in a {dropdown}).
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# The committed outputs, as they are: the site never runs a notebook.
nb_execution_mode = "off"
# site/stage.py turns every widget into static HTML, so no page needs the widgets' JavaScript.
nb_ipywidgets_js = {}


def theme_options(course: badges.Course) -> dict:
    """sphinx-book-theme's options: the repository button points at course.toml's repository."""
    return {
        "repository_url": f"https://github.com/{course.repo}",
        "repository_branch": course.ref,
        "use_repository_button": True,
        "use_download_button": True,
        "home_page_in_toc": True,
        "show_toc_level": 2,
        "footer_content_items": [],  # no "By ..." line: the course names no authors
    }


html_theme = "sphinx_book_theme"
html_theme_options = theme_options(COURSE)
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_last_updated_fmt = None
html_show_sphinx = False

# MathJax from the site itself (site/_static is copied first, then the files below), not a CDN.
mathjax_path = "mathjax/tex-chtml.js"
# textmacros: \_ and the like inside \text{...}, as LaTeX reads them.
# myst-parser adds the classes MathJax processes to this.
mathjax3_config = {"loader": {"load": ["[tex]/textmacros"]}, "tex": {"packages": {"[+]": ["textmacros"]}}}
# What tex-chtml.js loads on demand: TeX extensions, fonts, the menu, accessibility.
MATHJAX_PARTS = ("tex-chtml.js", "input/tex/extensions", "output/chtml/fonts", "ui", "a11y", "sre")


def launch_buttons(course: badges.Course, notebook: str) -> dict:
    """The header's launch menu of a notebook page: Binder and Colab, as tools/badges.py links them."""
    return {
        "type": "group",
        "tooltip": "Launch this notebook",
        "icon": "fas fa-rocket",
        "label": "launch-buttons",
        "buttons": [
            {"type": "link", "text": "Binder", "tooltip": "Open this notebook on Binder",
             "icon": "_static/images/logo_binder.svg", "url": badges.binder_url(course, notebook),
             "label": "launch-binder-button"},
            {"type": "link", "text": "Colab", "tooltip": "Open this notebook on Colab",
             "icon": "_static/images/logo_colab.png", "url": badges.colab_url(course, notebook),
             "label": "launch-colab-button"},
        ],
    }


def add_launch_buttons(app, pagename, templatename, context, doctree):
    if pagename.startswith("notebooks/") and "header_buttons" in context:
        context["header_buttons"].insert(0, launch_buttons(COURSE, pagename.split("/")[-1] + ".ipynb"))


def mathjax_folder() -> pathlib.Path:
    """MathJax 3's browser files, from the django-static-mathjax package (it needs no Django)."""
    spec = importlib.util.find_spec("mathjax")
    folder = pathlib.Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax" / "es5"
    if not (folder / "tex-chtml.js").is_file():
        raise FileNotFoundError(f"no MathJax in {folder}; install requirements-site.txt")
    return folder


def copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    source, dest = mathjax_folder(), pathlib.Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, dest / part, dirs_exist_ok=True)
        else:
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / part, dest / part)


def setup(app):
    # After the theme has filled the header's button list (priority 501); the menu goes first.
    app.connect("html-page-context", add_launch_buttons, priority=502)
    app.connect("build-finished", copy_mathjax)
    mathjax_folder()  # fail at the start, not after the whole build, when MathJax is missing
