"""Run time and peak kernel memory of every notebook, executed top to bottom in a fresh kernel.

The notebooks are executed on copies (the committed files are not touched), one after the
other, while a thread samples the kernel process's resident memory every 0.2 s.

    python benchmarks/notebooks.py [notebooks/0*.ipynb ...]

Budgets: notebooks 01-05 together <= 10 minutes on a 2-core machine (issue 3), notebook 06 <= 5
minutes (issue 15), and no kernel (with any process it starts) above 1 GB, the memory a Binder
session is guaranteed (issue 13). CI measures the same on its copy of Binder:
python3 tools/stacks.py binder --notebooks 01,02,03,04,05,06.
"""
import pathlib
import shutil
import sys
import tempfile
import threading
import time

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]


def peak_rss_of(client, stop, result):
    while not stop.is_set():
        pid = getattr(getattr(client.km, "provisioner", None), "process", None)
        pid = getattr(pid, "pid", None)
        if pid is not None:
            try:
                process = psutil.Process(pid)
                rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
                result[0] = max(result[0], rss)
            except psutil.Error:
                pass
        time.sleep(0.2)


def run(path):
    with tempfile.TemporaryDirectory() as tmp:
        # Run from a copy of notebooks/ so files the notebook writes land in the temp folder.
        work = pathlib.Path(tmp) / "notebooks"
        shutil.copytree(path.parent, work, ignore=shutil.ignore_patterns("runs", "*.gif", ".ipynb_checkpoints"))
        notebook = nbformat.read(work / path.name, as_version=4)
        client = NotebookClient(notebook, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(work)}})
        stop, peak = threading.Event(), [0]
        start = time.perf_counter()
        with client.setup_kernel():
            watcher = threading.Thread(target=peak_rss_of, args=(client, stop, peak), daemon=True)
            watcher.start()
            try:
                for index, cell in enumerate(notebook.cells):
                    client.execute_cell(cell, index)
            finally:
                stop.set()
                watcher.join()
        return time.perf_counter() - start, peak[0] / 2**20


def main():
    paths = [pathlib.Path(p).resolve() for p in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    print(f"{'notebook':<32} {'seconds':>8} {'peak MB':>8}")
    total = 0.0
    for path in paths:
        seconds, peak_mb = run(path)
        total += seconds
        print(f"{path.name:<32} {seconds:>8.1f} {peak_mb:>8.0f}", flush=True)
    print(f"{'total':<32} {total:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
