"""The course website's own code, without building the site (that is `make site`, which needs
.venv-site): site/conf.py follows course.toml, site/stage.py turns saved widget state into the bar
as it finished and collapses solutions, and tools/check_site.py finds what is wrong with a site.
"""
import importlib.util
import json
import pathlib
import re
import runpy
import shutil
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


badges = load("badges", ROOT / "tools" / "badges.py")
stage = load("course_site_stage", ROOT / "site" / "stage.py")
check_site = load("course_check_site", ROOT / "tools" / "check_site.py")


# ---------------------------------------------------------------------------- site/conf.py

def fork_checkout(tmp_path, repo, ref):
    """The files site/conf.py reads, with course.toml pointing at another repository and ref."""
    (tmp_path / "site").mkdir()
    shutil.copy2(ROOT / "site" / "conf.py", tmp_path / "site" / "conf.py")
    (tmp_path / "tools").mkdir()
    for name in ("badges.py", "notebook_io.py"):
        shutil.copy2(ROOT / "tools" / name, tmp_path / "tools" / name)
    (tmp_path / "course.toml").write_text(f'repository = "{repo}"\nref = "{ref}"\n', encoding="utf-8")
    return tmp_path


def test_conf_reads_course_toml(tmp_path):
    conf = runpy.run_path(str(fork_checkout(tmp_path, "someone/dqn-fork", "spring/2026") / "site" / "conf.py"))
    assert conf["html_theme_options"]["repository_url"] == "https://github.com/someone/dqn-fork"
    assert conf["html_theme_options"]["repository_branch"] == "spring/2026"
    assert conf["nb_execution_mode"] == "off"
    context = {"header_buttons": [{"type": "link", "label": "theme's own"}]}
    conf["add_launch_buttons"](None, "notebooks/03_replay_buffer", "page.html", context, None)
    menu = context["header_buttons"][0]
    urls = {button["text"]: button["url"] for button in menu["buttons"]}
    fork = badges.Course(root=tmp_path, repo="someone/dqn-fork", ref="spring/2026")
    assert urls == {"Binder": badges.binder_url(fork, "03_replay_buffer.ipynb"),
                    "Colab": badges.colab_url(fork, "03_replay_buffer.ipynb")}
    assert "someone/dqn-fork/spring/2026" in urls["Binder"]


def test_conf_adds_launch_buttons_to_notebook_pages_only(tmp_path):
    conf = runpy.run_path(str(fork_checkout(tmp_path, "someone/dqn-fork", "main") / "site" / "conf.py"))
    for page in ("index", "README", "TEACHING"):
        context = {"header_buttons": []}
        conf["add_launch_buttons"](None, page, "page.html", context, None)
        assert context["header_buttons"] == [], page


# ---------------------------------------------------------------------------- site/stage.py

def progress_state(value, total, bar_style="", prefix="train:", suffix=" 3/3"):
    """Saved widget state as tqdm.auto leaves it: an HBox of HTML, FloatProgress and HTML."""
    return {
        "box": {"model_name": "HBoxModel", "state": {
            "children": ["IPY_MODEL_prefix", "IPY_MODEL_bar", "IPY_MODEL_suffix"], "layout": "IPY_MODEL_layout"}},
        "prefix": {"model_name": "HTMLModel", "state": {"value": prefix}},
        "bar": {"model_name": "FloatProgressModel",
                "state": {"value": value, "min": 0.0, "max": total, "bar_style": bar_style}},
        "suffix": {"model_name": "HTMLModel", "state": {"value": suffix}},
        "layout": {"model_name": "LayoutModel", "state": {}},
    }


def test_a_finished_bar_is_drawn_full_from_its_saved_state():
    html = stage.widget_html("box", progress_state(3.0, 3.0, "success", "train: 100%", " 3/3 [00:01&lt;00:00]"))
    assert 'style="width: 100.0%"' in html
    assert 'aria-valuenow="3"' in html and 'aria-valuemax="3"' in html
    assert "course-progress-success" in html
    assert html.index("train: 100%") < html.index("course-progress") < html.index(" 3/3 [00:01&lt;00:00]")


def test_a_bar_stopped_early_is_drawn_where_it_stopped():
    html = stage.widget_html("box", progress_state(1.0, 4.0, "danger"))
    assert 'style="width: 25.0%"' in html and "course-progress-danger" in html


def widget_notebook(models, text="train: 100%|##########| 3/3"):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("for _ in tqdm(range(3)): pass")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        WIDGET_VIEW: {"model_id": "box", "version_major": 2, "version_minor": 0}, "text/plain": text})]
    nb.cells = [cell]
    nb.metadata["widgets"] = {stage.WIDGET_STATE: {"state": models, "version_major": 2, "version_minor": 0}}
    return nb


def test_convert_widgets_replaces_the_view_and_drops_the_state():
    nb = widget_notebook(progress_state(3.0, 3.0, "success"))
    assert stage.convert_widgets(nb, "x.ipynb") == 1
    data = nb.cells[0].outputs[0]["data"]
    assert WIDGET_VIEW not in data and "widgets" not in nb.metadata
    assert 'style="width: 100.0%"' in data["text/html"]
    assert data["text/plain"] == "train: 100%|##########| 3/3"  # kept for other formats


def test_a_widget_without_saved_state_keeps_its_text():
    nb = widget_notebook({}, text="train: 100%|##########| 3/3")
    assert stage.convert_widgets(nb, "x.ipynb") == 0
    assert nb.cells[0].outputs[0]["data"] == {"text/plain": "train: 100%|##########| 3/3"}


def test_a_widget_the_site_cannot_draw_stops_the_build():
    models = {"box": {"model_name": "IntSliderModel", "state": {"value": 3}}}
    with pytest.raises(stage.StageError, match=r"x\.ipynb, cell 0: .*IntSliderModel"):
        stage.convert_widgets(widget_notebook(models), "x.ipynb")


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if WIDGET_VIEW in p.read_text(encoding="utf-8")],
                         ids=lambda p: p.name)
def test_each_committed_bar_is_drawn_as_its_text_says(path):
    """On the real notebooks: every static bar draws the percentage tqdm printed when it finished."""
    nb = nbformat.read(path, as_version=4)
    texts = [output["data"]["text/plain"] for cell in nb.cells for output in cell.get("outputs", [])
             if WIDGET_VIEW in output.get("data", {})]
    stage.convert_widgets(nb, path.name)
    htmls = [output["data"]["text/html"] for cell in nb.cells for output in cell.get("outputs", [])
             if "course-widget-output" in output.get("data", {}).get("text/html", "")]
    assert htmls, f"{path.name}: no progress bar was converted (is the widget state saved?)"
    for text, html in zip(texts, htmls):
        printed = re.search(r"(\d+)%", text)
        drawn = re.search(r'width: ([\d.]+)%', html)
        assert printed and drawn, (text, html)
        assert abs(float(drawn.group(1)) - int(printed.group(1))) <= 1, f"{path.name}: {text!r} but drawn {drawn.group(1)}%"


def test_solutions_are_collapsed_as_in_jupyterlab():
    nb = nbformat.v4.new_notebook()
    hidden = {"jupyter": {"source_hidden": True, "outputs_hidden": True}}
    nb.cells = [nbformat.v4.new_code_cell("answer = 42", metadata=dict(hidden)),
                nbformat.v4.new_markdown_cell("With $\\gamma = 1$ ...", metadata=dict(hidden)),
                nbformat.v4.new_code_cell("shown = 1")]
    assert stage.collapse_solutions(nb) == 2
    assert nb.cells[0].metadata["tags"] == ["hide-cell"]
    assert nb.cells[1].source.startswith("::::{dropdown} Answer\n") and "With $\\gamma = 1$ ..." in nb.cells[1].source
    assert nb.cells[1].source.rstrip().endswith("::::")
    assert "tags" not in nb.cells[2].metadata


def test_links_to_repository_files_point_at_github(tmp_path):
    course = badges.Course(root=ROOT, repo="someone/dqn-fork", ref="v1")
    text = "[tool](../tools/badges.py) [next](02_keras_q_network.ipynb) [gone](../nothing.py) [web](https://x.org/a)"
    pages = {"notebooks/01_q_learning_basics.ipynb", "notebooks/02_keras_q_network.ipynb"}
    out = stage.rewrite_links(text, "notebooks/01_q_learning_basics.ipynb", pages, course, tmp_path)
    assert "(https://github.com/someone/dqn-fork/blob/v1/tools/badges.py)" in out
    assert "(02_keras_q_network.ipynb)" in out and "(../nothing.py)" in out and "(https://x.org/a)" in out


# ---------------------------------------------------------------------------- tools/check_site.py

def tiny_course(tmp_path):
    """A course with one notebook, and a complete site for it whose links all resolve."""
    root, site = tmp_path / "course", tmp_path / "site"
    (root / "notebooks").mkdir(parents=True)
    (root / "notebooks" / "01_intro.ipynb").write_text("{}", encoding="utf-8")
    course = badges.Course(root=root, repo="someone/dqn-fork", ref="main")
    (site / "notebooks").mkdir(parents=True)
    (site / "_static").mkdir()
    (site / "_static" / "style.css").write_text("", encoding="utf-8")
    (site / "searchindex.js").write_text("", encoding="utf-8")
    page = '<html><head><link rel="stylesheet" href="{up}_static/style.css"></head><body id="top">{body}</body></html>'
    for name in ("index.html", "README.html", "TEACHING.html", "search.html"):
        (site / name).write_text(page.format(up="", body='<a href="notebooks/01_intro.html#setup">01</a>'), encoding="utf-8")
    launch = (f'<a class="btn btn-launch-binder-button" href="{badges.binder_url(course, "01_intro.ipynb")}">B</a>'
              f'<a class="btn btn-launch-colab-button" href="{badges.colab_url(course, "01_intro.ipynb")}">C</a>'
              '<h2 id="setup">Setup</h2><a href="../index.html#top">home</a>')
    (site / "notebooks" / "01_intro.html").write_text(page.format(up="../", body=launch), encoding="utf-8")
    return course, site


def test_check_site_passes_a_complete_site(tmp_path):
    course, site = tiny_course(tmp_path)
    assert check_site.check(site, course) == []


def test_check_site_finds_a_broken_link_and_a_missing_anchor(tmp_path):
    course, site = tiny_course(tmp_path)
    index = site / "index.html"
    broken = '<a href="gone.html">x</a><a href="README.html#nowhere">y</a></body>'
    index.write_text(index.read_text().replace("</body>", broken))
    problems = check_site.check(site, course)
    assert problems == [
        "index.html: the a href gone.html points at gone.html, which does not exist.",
        "index.html: the a href README.html#nowhere points at #nowhere, which is no id in README.html.",
    ]


def test_check_site_finds_a_missing_page_and_a_wrong_launch_link(tmp_path):
    course, site = tiny_course(tmp_path)
    (site / "TEACHING.html").unlink()
    page = site / "notebooks" / "01_intro.html"
    page.write_text(page.read_text().replace("someone/dqn-fork/main", "someone/old-name/main"))
    problems = check_site.check(site, course)
    assert "TEACHING.html is missing: the site has no such page." in problems
    assert any(p.startswith("notebooks/01_intro.html: its Binder button opens https://mybinder.org/v2/gh/someone/old-name")
               for p in problems), problems


def test_check_site_finds_a_script_from_a_cdn(tmp_path):
    course, site = tiny_course(tmp_path)
    index = site / "index.html"
    index.write_text(index.read_text().replace("</head>", '<script src="https://cdn.example.org/x.js"></script></head>'))
    assert check_site.check(site, course) == [
        "index.html loads the script https://cdn.example.org/x.js from the network; the site must serve it itself."]


def test_browser_bar_check_catches_a_bar_drawn_empty():
    bars = [{"value": 50.0, "min": 0.0, "max": 50.0, "drawn": 0.0, "text": "train: 100% 50/50"},
            {"value": 50.0, "min": 0.0, "max": 50.0, "drawn": 1.0, "text": "train: 100% 50/50"}]
    assert check_site.bar_problems("p.html", bars) == [
        "p.html: progress bar 1 is drawn 0% full, but its state says 100%."]
    stale_text = [{"value": 50.0, "min": 0.0, "max": 50.0, "drawn": 1.0, "text": "train: 0% 0/50"}]
    assert check_site.bar_problems("p.html", stale_text) == ["p.html: progress bar 1 says 0% but its state says 100%."]
