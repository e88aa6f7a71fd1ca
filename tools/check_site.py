"""Check the built course website (`make site` runs it after Sphinx).

    python tools/check_site.py [build/site/html] [--browser] [--screenshots DIR]

Without a browser, from the HTML files alone and without network:
- every page is there: the landing page, README, TEACHING, one page per notebook in notebooks/,
  and the search page with its index;
- every internal link resolves: each href and src that names a file of the site points at a file
  that exists, and a #fragment at an id in the target page;
- each notebook page's launch menu opens that notebook on Binder and on Colab with exactly the
  links tools/badges.py makes from course.toml, and every Binder or Colab link on any page agrees
  with course.toml;
- no page loads a script or a stylesheet from the network: the site works offline.

With --browser it also opens every page in headless Chromium (Debian's `chromium`, driven by the
playwright package), served from 127.0.0.1 with every other request blocked, and proves that the
pages render as a reader sees them: every image of the site loads (naturalWidth > 0), MathJax
typesets every formula (no error, no $...$ left as text), each progress bar draws the state its
text gives, the animation of notebook 05 plays, the search page finds a page, and no page raises
a JavaScript error. It saves screenshots (to /tmp/course-site by default).

Prints one sentence per problem and exits 1 when there is any; 2 when it cannot check (no site).
Needs nbformat (tools/badges.py) and, for --browser, playwright and chromium (.venv-site has both
Python packages; `apt-get install chromium`).
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import html.parser
import http.server
import pathlib
import posixpath
import re
import shutil
import sys
import threading
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import badges  # noqa: E402

DEFAULT_SITE = ROOT / "build" / "site" / "html"
DEFAULT_SCREENSHOTS = pathlib.Path("/tmp/course-site")
FIXED_PAGES = ("index.html", "README.html", "TEACHING.html", "search.html", "searchindex.js")
# Attributes that name another file: a link, an image, a script, a stylesheet, a frame.
LINK_ATTRIBUTES = {("a", "href"), ("link", "href"), ("img", "src"), ("script", "src"), ("source", "src"),
                   ("iframe", "src"), ("video", "src"), ("audio", "src"), ("embed", "src")}
BADGE_IMAGES = (badges.BINDER_BADGE, badges.COLAB_BADGE)


# ---------------------------------------------------------------------------- reading pages

class PageParser(html.parser.HTMLParser):
    """The ids of a page, the files it names, and its launch buttons."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.stylesheets: list[str] = []
        self.launch: dict[str, list[str]] = {"binder": [], "colab": []}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for attribute in ("href", "src"):
            value = attrs.get(attribute)
            if value is not None and (tag, attribute) in LINK_ATTRIBUTES:
                self.links.append((tag, attribute, value))
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").split():
            self.stylesheets.append(attrs.get("href") or "")
        classes = (attrs.get("class") or "").split()
        for kind in self.launch:
            if tag == "a" and f"btn-launch-{kind}-button" in classes:
                self.launch[kind].append(attrs.get("href") or "")


@functools.lru_cache(maxsize=None)
def parse(path: pathlib.Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def html_pages(site: pathlib.Path) -> list[str]:
    """The site's HTML pages, as paths relative to the site. Not pages: _sources/ (the sources'
    copies) and _static/ (where the themes also leave two Jinja fragments named *.html)."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if not p.relative_to(site).as_posix().startswith(("_sources/", "_static/")))


def notebook_pages(root: pathlib.Path = ROOT) -> list[str]:
    return [f"notebooks/{p.stem}.html" for p in sorted((root / "notebooks").glob("[0-9]*.ipynb"))]


def expected_pages(root: pathlib.Path = ROOT) -> list[str]:
    return list(FIXED_PAGES) + notebook_pages(root)


# ---------------------------------------------------------------------------- the checks

def missing_pages(site: pathlib.Path, root: pathlib.Path = ROOT) -> list[str]:
    return [f"{page} is missing: the site has no such page." for page in expected_pages(root)
            if not (site / page).is_file()]


def is_external(value: str) -> bool:
    parts = urllib.parse.urlsplit(value)
    return bool(parts.scheme or parts.netloc)


def link_problems(site: pathlib.Path) -> list[str]:
    """Each href or src naming a file of the site that does not exist, or a #fragment that names
    no id of its page."""
    problems = []
    for page in html_pages(site):
        for tag, attribute, value in parse(site / page).links:
            if is_external(value) or not value.strip():
                continue
            parts = urllib.parse.urlsplit(value)
            if parts.path:
                target = posixpath.normpath(posixpath.join(posixpath.dirname(page), urllib.parse.unquote(parts.path)))
            else:
                target = page
            if target == ".." or target.startswith("../"):
                problems.append(f"{page}: the {tag} {attribute} {value} points outside the site.")
                continue
            path = site / target
            if path.is_dir():
                path, target = path / "index.html", posixpath.join(target, "index.html")
            if not path.is_file():
                problems.append(f"{page}: the {tag} {attribute} {value} points at {target}, which does not exist.")
                continue
            fragment = urllib.parse.unquote(parts.fragment)
            if fragment and path.suffix == ".html" and fragment not in parse(path).ids:
                problems.append(f"{page}: the {tag} {attribute} {value} points at #{fragment}, "
                                f"which is no id in {target}.")
    return problems


def launch_problems(site: pathlib.Path, course: badges.Course) -> list[str]:
    """Each notebook page's launch menu must hold exactly the Binder and Colab links of
    tools/badges.py for course.toml; every Binder or Colab link on any page must agree with it."""
    problems = []
    for page in notebook_pages(course.root):
        if not (site / page).is_file():
            continue  # missing_pages says so
        notebook = posixpath.basename(page).removesuffix(".html") + ".ipynb"
        found = parse(site / page).launch
        for kind, url in (("binder", badges.binder_url(course, notebook)), ("colab", badges.colab_url(course, notebook))):
            name = "Binder" if kind == "binder" else "Colab"
            if not found[kind]:
                problems.append(f"{page}: its launch menu has no {name} button (course.toml wants {url}).")
            for href in found[kind]:
                if href != url:
                    problems.append(f"{page}: its {name} button opens {href}, but course.toml wants {url}.")
    for page in html_pages(site):
        hrefs = " ".join(value for tag, _, value in parse(site / page).links if tag == "a" and is_external(value))
        problems += [f"{problem}." for problem in badges.link_problems(hrefs, course, page)]
    return problems


def offline_problems(site: pathlib.Path) -> list[str]:
    """A script or stylesheet from the network would leave the page broken offline."""
    problems = []
    for page in html_pages(site):
        parsed = parse(site / page)
        for tag, attribute, value in parsed.links:
            if tag == "script" and is_external(value):
                problems.append(f"{page} loads the script {value} from the network; the site must serve it itself.")
        for href in parsed.stylesheets:
            if is_external(href):
                problems.append(f"{page} loads the stylesheet {href} from the network; the site must serve it itself.")
    return problems


def check(site: pathlib.Path, course: badges.Course) -> list[str]:
    parse.cache_clear()
    return missing_pages(site, course.root) + link_problems(site) + launch_problems(site, course) + offline_problems(site)


# ---------------------------------------------------------------------------- in a browser

# Runs in the page: what it shows once MathJax has typeset it.
PAGE_REPORT_JS = r"""
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const images = [...document.images];
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener("load", done); img.addEventListener("error", done);
  })));
  const skip = "pre, code, script, style, textarea, mjx-container, .highlight, .course-widget-output";
  const walker = document.createTreeWalker(document.querySelector("main") || document.body, NodeFilter.SHOW_TEXT);
  const raw = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest(skip)) continue;
    const text = node.textContent;
    const hit = text.match(/\$[^$\s][^$]*\$|\\\(|\\\[|\\\)|\\\]/);
    if (hit) raw.push(text.trim().slice(0, 80));
  }
  const bars = [...document.querySelectorAll(".course-progress")].map(bar => {
    const fill = bar.querySelector(".course-progress-fill");
    const row = bar.closest(".course-widget") || bar.parentElement;
    return {
      value: +bar.getAttribute("aria-valuenow"), min: +bar.getAttribute("aria-valuemin"),
      max: +bar.getAttribute("aria-valuemax"),
      drawn: fill.getBoundingClientRect().width / bar.getBoundingClientRect().width,
      text: row.textContent,
    };
  });
  return {
    images: images.map(img => ({src: img.currentSrc || img.src, complete: img.complete, width: img.naturalWidth})),
    math: document.querySelectorAll("main .math").length,
    typeset: document.querySelectorAll("main .math mjx-container").length,
    errors: document.querySelectorAll("mjx-merror").length,
    raw: raw,
    bars: bars,
  };
}
"""


@contextlib.contextmanager
def serve(site: pathlib.Path):
    """The site over HTTP on 127.0.0.1 (a free port), as a web host serves it."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


def bar_problems(page: str, bars: list[dict]) -> list[str]:
    """A bar must draw the fraction its saved state holds, and agree with the percentage its text shows."""
    problems = []
    for i, bar in enumerate(bars, 1):
        span = bar["max"] - bar["min"]
        fraction = (bar["value"] - bar["min"]) / span if span > 0 else 0.0
        if abs(bar["drawn"] - fraction) > 0.02:
            problems.append(f"{page}: progress bar {i} is drawn {bar['drawn']:.0%} full, "
                            f"but its state says {fraction:.0%}.")
        shown = re.search(r"(\d+)%", bar["text"])
        if shown and abs(int(shown.group(1)) - 100 * fraction) > 1:
            problems.append(f"{page}: progress bar {i} says {shown.group(1)}% but its state says {fraction:.0%}.")
    return problems


def page_problems(name: str, report: dict, base: str, blocked: list[tuple[str, str]], errors: list[str],
                  notes: list[str]) -> list[str]:
    """What is wrong with one page as Chromium showed it (PAGE_REPORT_JS), and a line of what it showed."""
    local = [img for img in report["images"] if img["src"].startswith((base, "data:"))]
    external = [img["src"] for img in report["images"] if img not in local]
    broken = [img["src"].removeprefix(base)[:80] for img in local if not (img["complete"] and img["width"] > 0)]
    problems = [f"{name}: the image {src} did not load." for src in broken]
    problems += [f"{name}: the image {src} comes from the network, and only the Binder and Colab badges may."
                 for src in external if src not in BADGE_IMAGES]
    problems += [f"{name} requested {url} ({kind}) from the network; the site must serve it itself."
                 for kind, url in blocked if not (kind == "image" and url in BADGE_IMAGES)]
    if report["typeset"] < report["math"]:
        problems.append(f"{name}: MathJax typeset {report['typeset']} of its {report['math']} formulas.")
    if report["errors"]:
        problems.append(f"{name}: MathJax reports {report['errors']} formula(s) it cannot typeset.")
    if report["raw"]:
        examples = "; ".join(repr(text) for text in report["raw"][:3])
        problems.append(f"{name}: math left as raw text in {len(report['raw'])} place(s), e.g. {examples}.")
    problems += bar_problems(name, report["bars"])
    problems += [f"{name}: JavaScript error: {error}" for error in errors]
    bars = ", ".join(f"{bar['drawn']:.0%}" for bar in report["bars"])
    notes.append(f"{name}: {len(local) - len(broken)}/{len(local)} images, "
                 f"{report['typeset']}/{report['math']} formulas typeset, {len(report['bars'])} progress bars"
                 + (f" drawn {bars}" if bars else "")
                 + (f", {len(external)} badge(s) not fetched offline" if external else ""))
    return problems


def browser_check(site: pathlib.Path, root: pathlib.Path, chromium: str,
                  screenshots: pathlib.Path) -> tuple[list[str], list[str]]:
    """Problems, and what was shown (one line per page), from opening every page in Chromium."""
    from playwright.sync_api import sync_playwright

    problems, notes = [], []
    pages = [p for p in html_pages(site) if p not in ("search.html", "genindex.html")]
    screenshots.mkdir(parents=True, exist_ok=True)
    with serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        blocked: list[tuple[str, str]] = []

        def route(request_route):
            request = request_route.request
            if request.url.startswith(base):
                request_route.continue_()
            else:
                blocked.append((request.resource_type, request.url))
                request_route.abort()

        context.route("**/*", route)
        errors: list[str] = []
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error).splitlines()[0]))
        for name in pages:
            errors.clear()
            blocked.clear()
            page.goto(base + name, wait_until="load")
            problems += page_problems(name, page.evaluate(PAGE_REPORT_JS), base, blocked, errors, notes)
            if name == "notebooks/05_greedy_evaluation.html" or page.locator(".animation").count():
                problems += animation_problems(page, name, notes)
        problems += search_problems(page, base, notes)
        problems += take_screenshots(page, base, root, screenshots, notes)
        browser.close()
    return problems, notes


def animation_problems(page, name: str, notes: list[str]) -> list[str]:
    """matplotlib's JavaScript animation: pressing Play must move the slider and change the frame."""
    slider = page.locator("input[id^='_anim_slider']")
    if slider.count() == 0:
        return [f"{name}: no animation (matplotlib's to_jshtml player) on the page."]
    frame = page.locator("img[id^='_anim_img']").first
    before, first_frame = slider.first.input_value(), frame.get_attribute("src")
    page.locator("button[title='Play']").first.click()
    page.wait_for_timeout(1500)
    page.locator("button[title='Pause']").first.click()
    after, later_frame = slider.first.input_value(), frame.get_attribute("src")
    width = frame.evaluate("img => img.naturalWidth")
    icons = page.locator(".animation button svg, .animation button i").evaluate_all(
        "els => els.filter(e => e.getBoundingClientRect().width > 0).length")
    problems = []
    if after == before or later_frame == first_frame:
        problems.append(f"{name}: the animation did not play (frame {before} before Play, {after} after 1.5 s).")
    if width <= 0:
        problems.append(f"{name}: the animation's frame image is empty.")
    if icons == 0:
        problems.append(f"{name}: the animation's buttons show no icons.")
    notes.append(f"{name}: animation played from frame {before} to {after}; {icons} button icons drawn")
    return problems


def search_problems(page, base: str, notes: list[str]) -> list[str]:
    """The search page, offline: searchindex.js must find the replay buffer's notebook."""
    page.goto(base + "search.html?q=replay+buffer", wait_until="load")
    try:
        page.wait_for_selector("#search-results ul.search li", timeout=20_000)
    except Exception:
        return ["search.html?q=replay+buffer: the search found nothing (is searchindex.js loaded?)."]
    hits = page.locator("#search-results ul.search li a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    notes.append(f"search.html?q=replay+buffer: {len(hits)} results")
    if not any("03_replay_buffer" in (href or "") for href in hits):
        return [f"search.html?q=replay+buffer: notebook 03 is not among the {len(hits)} results."]
    return []


def take_screenshots(page, base: str, root: pathlib.Path, folder: pathlib.Path, notes: list[str]) -> list[str]:
    """One screenshot per kind of content, to look at: math, a figure, a progress bar, the animation."""
    shots = [("notebooks/01_q_learning_basics.html", "main .math", "math"),
             ("notebooks/04_training_loop.html", ".course-progress", "progress"),
             ("notebooks/04_training_loop.html", ".cell_output img", "figure"),
             ("notebooks/05_greedy_evaluation.html", ".animation", "animation")]
    problems = []
    for name, selector, what in shots:
        stem = pathlib.PurePosixPath(name).stem
        if not (root / "notebooks" / f"{stem}.ipynb").is_file():
            continue  # a course without that notebook
        page.goto(base + name, wait_until="load")
        page.evaluate("async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }")
        element = page.locator(f"{selector} >> visible=true").first
        if element.count() == 0:
            problems.append(f"{name}: nothing visible matches {selector} for the {what} screenshot.")
            continue
        element.evaluate("el => el.scrollIntoView({block: 'center'})")
        path = folder / f"{stem}-{what}.png"
        page.screenshot(path=str(path))
        notes.append(f"screenshot: {path}")
    return problems


# ---------------------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", type=pathlib.Path, default=DEFAULT_SITE,
                        help="the built site (default: build/site/html)")
    parser.add_argument("--browser", action="store_true", help="also open every page in headless Chromium")
    parser.add_argument("--chromium", help="the Chromium to use (default: chromium on PATH)")
    parser.add_argument("--screenshots", type=pathlib.Path, default=DEFAULT_SCREENSHOTS,
                        help="where --browser saves its screenshots (default: /tmp/course-site)")
    parser.add_argument("--root", type=pathlib.Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"check_site: {args.site} has no index.html; build the site first (make site).", file=sys.stderr)
        return 2
    try:
        course = badges.load_course(args.root)
    except badges.CourseError as error:
        print(f"check_site: {error}", file=sys.stderr)
        return 2
    problems = check(args.site, course)
    notes = []
    if args.browser:
        chromium = args.chromium or find_chromium()
        if chromium is None:
            print("check_site: --browser needs Chromium (apt-get install chromium, or --chromium PATH).", file=sys.stderr)
            return 2
        try:
            import playwright  # noqa: F401
        except ModuleNotFoundError:
            print("check_site: --browser needs the playwright package; run it with .venv-site/bin/python.", file=sys.stderr)
            return 2
        browser_found, notes = browser_check(args.site, args.root, chromium, args.screenshots)
        problems += browser_found
    for note in notes:
        print(note)
    for problem in problems:
        print(problem)
    pages = len(html_pages(args.site))
    if problems:
        print(f"{len(problems)} problem(s) in the site at {args.site}.")
        return 1
    print(f"The site at {args.site} is complete: {pages} pages, every internal link resolves, "
          "the launch links follow course.toml" + (", and every page renders in Chromium." if args.browser else "."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
