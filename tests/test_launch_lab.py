"""JupyterLab really serves the course: the server starts, lists the notebooks, opens /lab,
and its python3 kernel (the notebooks' kernel) imports dqn_helpers.

The server runs as `make lab` runs it, on notebooks/, but on a free loopback port with a random
token and its own config and runtime folders. Every wait is bounded and the server is always
stopped, its kernels with it.
"""
import json
import os
import pathlib
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
START_TIMEOUT = 60   # seconds for the server to answer
KERNEL_TIMEOUT = 90  # seconds for a kernel to start and import dqn_helpers (TensorFlow)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on 127.0.0.1, started and stopped by the test."""

    def __init__(self, tmp_path):
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "jupyter-lab.log"
        home = tmp_path / "jupyter"
        env = {**os.environ,
               # A user's own Jupyter config (a password, another root_dir) must not leak in.
               "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
               "TF_CPP_MIN_LOG_LEVEL": "3"}
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                   f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={ROOT / 'notebooks'}",
                   f"--LabApp.workspaces_dir={home / 'workspaces'}"]
        if os.geteuid() == 0:
            command.append("--allow-root")  # as `make lab` does; CI runs as root
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, cwd=ROOT / "notebooks", env=env, stdin=subprocess.DEVNULL,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def url(self, path):
        return f"{self.base}{path}{'&' if '?' in path else '?'}token={self.token}"

    def request(self, path, method="GET", body=None, timeout=10):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url(path), data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()

    def json(self, path, **kwargs):
        return json.loads(self.request(path, **kwargs)[1])

    def log_tail(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-3000:]

    def wait_until_up(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"jupyter lab exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                return self.json("/api/contents/", timeout=5)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        pytest.fail(f"jupyter lab did not answer within {START_TIMEOUT} s:\n{self.log_tail()}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the server shuts its kernels down
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        try:  # whatever is left of the server's process group (a stuck kernel)
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    server = Lab(tmp_path_factory.mktemp("lab"))
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


def run_in_kernel(lab, kernel_id, code):
    """Execute code in the kernel over the server's websocket; returns (status, stdout, error)."""
    from tornado import ioloop, websocket

    async def execute():
        url = lab.url(f"/api/kernels/{kernel_id}/channels").replace("http://", "ws://")
        connection = await websocket.websocket_connect(url, connect_timeout=10)
        msg_id = uuid.uuid4().hex
        connection.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        stdout, error, status, idle = [], None, None, False
        while status is None or not idle:
            raw = await connection.read_message()
            assert raw is not None, "the kernel's websocket closed"
            message = json.loads(raw)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                stdout.append(content["text"])
            elif kind == "error":
                error = f"{content['ename']}: {content['evalue']}"
            elif kind == "execute_reply":
                status = content["status"]
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        connection.close()
        return status, "".join(stdout), error

    return ioloop.IOLoop.current().run_sync(execute, timeout=KERNEL_TIMEOUT)


def test_jupyterlab_serves_the_numbered_notebooks_and_the_lab_page(lab):
    assert NOTEBOOKS, "no numbered notebook in notebooks/"
    listing = lab.json("/api/contents/")
    served = {item["name"] for item in listing["content"] if item["type"] == "notebook"}
    missing = [p.name for p in NOTEBOOKS if p.name not in served]
    assert not missing, f"not listed by the server: {missing}"
    for path in NOTEBOOKS:
        model = lab.json(f"/api/contents/{path.name}?content=1")
        assert model["type"] == "notebook" and model["format"] == "json", path.name
        assert model["content"]["metadata"]["kernelspec"]["name"] in lab.json("/api/kernelspecs")["kernelspecs"]
    for page in ("/lab", f"/lab/tree/{NOTEBOOKS[0].name}"):  # what `make lab` and the Binder badge open
        status, body = lab.request(page)
        assert status == 200 and b"<html" in body.lower(), page


def test_the_notebooks_kernel_imports_dqn_helpers(lab):
    kernel = lab.json("/api/kernels", method="POST", body={"name": "python3", "path": NOTEBOOKS[0].name})
    try:
        status, stdout, error = run_in_kernel(lab, kernel["id"], (
            "import os, sys, dqn_helpers\n"
            "print(os.path.basename(os.getcwd()))\n"
            f"print(os.path.realpath(sys.prefix) == os.path.realpath({sys.prefix!r}))\n"))
    finally:
        lab.request(f"/api/kernels/{kernel['id']}", method="DELETE")
    assert status == "ok", error
    assert stdout.split() == ["notebooks", "True"], "the kernel runs in notebooks/ on this environment's Python"
