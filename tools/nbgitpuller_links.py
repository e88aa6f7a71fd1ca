"""nbgitpuller links that hand the course out on a JupyterHub: one per notebook, from course.toml.

    make links HUB=https://hub.example.edu                 (or: .venv/bin/python tools/nbgitpuller_links.py HUB)
    make links HUB=https://hub.example.edu REPO=your-name/dqn-class REF=main

A learner who clicks a link logs into the hub; nbgitpuller (installed on the hub) clones the
repository into their home folder on the first click, pulls new commits on later clicks without
overwriting their edits, and opens the notebook in JupyterLab. The link's format is nbgitpuller's:

    HUB/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2FOWNER%2FNAME&branch=REF
        &urlpath=lab%2Ftree%2FNAME%2Fnotebooks%2FNOTEBOOK.ipynb

The repository and the ref come from course.toml (see `make badges`), or from --repo and --ref, for
example a repository of student copies. The ref must be a branch: nbgitpuller clones it, then on
every later click merges its new commits, which a tag or a commit cannot give (the first click
works, the later ones fail); for a class pinned to a tag, make a branch at the tag. Exit code 0, or 2 with one sentence (a HUB that is not an
http(s) address, course.toml unreadable).
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import urllib.parse

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # badges.py, next to this file
from badges import REF_RE, REPO_RE, ROOT, CourseError, read_config  # noqa: E402


def nbgitpuller_url(hub: str, repo: str, ref: str, notebook: str) -> str:
    """The link that clones github.com/repo at ref into the learner's home and opens notebooks/notebook."""
    name = repo.split("/")[1]
    query = urllib.parse.urlencode({"repo": f"https://github.com/{repo}", "branch": ref,
                                    "urlpath": f"lab/tree/{name}/notebooks/{notebook}"})
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("hub", help="the JupyterHub's address, e.g. https://hub.example.edu")
    parser.add_argument("--repo", help="owner/name on GitHub (default: course.toml's)")
    parser.add_argument("--ref", help="a branch (default: course.toml's ref, which must then be a branch)")
    parser.add_argument("--root", type=pathlib.Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    hub = urllib.parse.urlparse(args.hub)
    if hub.scheme not in ("http", "https") or not hub.netloc or hub.query or hub.fragment:
        print(f"nbgitpuller_links: the hub must be an address like https://hub.example.edu, not {args.hub!r}.", file=sys.stderr)
        return 2
    try:
        repo, ref = read_config(args.root)
    except CourseError as error:
        print(f"nbgitpuller_links: {error}.", file=sys.stderr)
        return 2
    repo, ref = args.repo or repo, args.ref or ref
    if not REPO_RE.match(repo) or not REF_RE.match(ref):
        print(f"nbgitpuller_links: --repo must look like owner/name and --ref like main or v2026.1, "
              f"not {repo!r} and {ref!r}.", file=sys.stderr)
        return 2
    for notebook in sorted((args.root / "notebooks").glob("[0-9]*.ipynb")):
        print(f"{notebook.stem}: {nbgitpuller_url(args.hub, repo, ref, notebook.name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
