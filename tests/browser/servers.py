"""Servers for the browser suite: a temporary copy of the notebooks, JupyterLab and Voila on it.

Each server runs on a free port of 127.0.0.1 in its own process group (so its kernels go with
it), logs to a file, and is stopped by the test session that started it. Nothing here touches
the committed notebooks or the user's Jupyter directories: the notebooks are copied to a
temporary ``<tmp>/notebooks``, ``<tmp>/data`` links to the repository's MovieLens cache and
``<tmp>/results`` starts empty; Jupyter's config, data, runtime and IPython directories are
temporary too.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BIN = Path(sys.executable).parent  # the venv's jupyter-lab and voila sit beside its python
INSTALL = "apt-get update && apt-get install -y chromium  (as root, as .ci/run does)"

# JupyterLab user settings for tests: no news toast (it wants the network), no update check, no
# autosave (the tmp copy is never rewritten either), every cell in the DOM (no windowing) and no
# blank space after the last cell (so that a screenshot of the whole notebook is just that)
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "scrollPastEnd": False},
}


def chromium_path() -> Path:
    """Where Chromium is: ``$BHLIB_CHROMIUM`` or Debian's ``/usr/bin/chromium``."""
    return Path(os.environ.get("BHLIB_CHROMIUM", "/usr/bin/chromium"))


def missing() -> str | None:
    """Why the browser suite cannot run here (what is missing and how to install it), or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as err:
        return (f"playwright cannot be imported ({err}); install the test extra: "
                f".venv/bin/pip install -e '.[test]' (never `playwright install`: it uses "
                f"Debian's Chromium)")
    chromium = chromium_path()
    if not (chromium.is_file() and os.access(chromium, os.X_OK)):
        return (f"Chromium not found at {chromium} (set BHLIB_CHROMIUM to use another); "
                f"install it with: {INSTALL}")
    for tool in ("jupyter-lab", "voila"):
        if not (BIN / tool).exists():
            return (f"{BIN / tool} is missing; install the notebooks extra: "
                    f".venv/bin/pip install -e '.[notebooks]'")
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_workdir(root: Path) -> Path:
    """``root/notebooks`` (copies), ``root/data`` (link to the repo's cache), ``root/results``."""
    (root / "notebooks").mkdir(parents=True)
    for name in NOTEBOOKS:
        shutil.copy2(REPO / "notebooks" / name, root / "notebooks" / name)
    (REPO / "data").mkdir(exist_ok=True)
    (root / "data").symlink_to(REPO / "data", target_is_directory=True)
    (root / "results").mkdir()
    return root


def jupyter_env(state: Path) -> dict[str, str]:
    """A server's environment: quick mode unless the caller says otherwise, Jupyter's and
    IPython's directories under ``state``."""
    env = dict(os.environ)
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "share"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
        env[var] = str(state / sub)
        Path(env[var]).mkdir(parents=True, exist_ok=True)
    env.setdefault("BHLIB_QUICK", "1")
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Server:
    """A server process in its own session: started, waited for, stopped with its children."""

    def __init__(self, name: str, argv: list[str], *, port: int, ready_path: str, cwd: Path,
                 env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.port, self.ready_path = name, argv, port, ready_path
        self.cwd, self.env, self.log = cwd, env, log
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> Server:
        """Start the process and poll ``ready_path`` over HTTP until it answers 200."""
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}\n{self.tail()}")
            if http_ok(self.url + self.ready_path):
                return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.name} not ready on {self.url} after {timeout:.0f} s\n"
                           f"{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        """The last lines of the server's log, for assertion messages."""
        try:
            text = self.log.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return f"(no log at {self.log})"
        return f"--- last {len(text)} lines of {self.log} ---\n" + "\n".join(text)

    def api(self, method: str, path: str, timeout: float = 10.0):
        """A call to the server's REST API (no token, no XSRF in tests); the decoded JSON."""
        req = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Delete every session (and its kernel) of a Jupyter server, so none keeps the CPU."""
        for s in self.api("GET", "/api/sessions"):
            with contextlib.suppress(urllib.error.URLError, OSError):
                self.api("DELETE", f"/api/sessions/{s['id']}", timeout=30)

    def shutdown_voila_kernel(self, kernel_id: str) -> bool:
        """Shut a Voila page's kernel down, as the page's own unload beacon means to.

        Voila 0.5.13 sets no ``_xsrf`` cookie, so its beacon is refused (403) and the kernel would
        stay until Voila stops; this request brings its own token, the same in the cookie and the
        form (the double-submit check passes).
        """
        token = "0123456789abcdef" * 2
        req = urllib.request.Request(f"{self.url}/voila/api/shutdown/{kernel_id}",
                                     data=f"_xsrf={token}".encode(), method="POST",
                                     headers={"Cookie": f"_xsrf={token}"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status == 204
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the process group, SIGKILL what is left after ``timeout``, reap the process."""
        if self.proc is None or self.proc.returncode is not None:
            return
        pgid = self.proc.pid  # start_new_session: the group id is the server's pid
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                continue
            with contextlib.suppress(ProcessLookupError):  # kernels left in the group
                os.killpg(pgid, signal.SIGKILL)
            break


def lab_server(root: Path, state: Path) -> Server:
    """JupyterLab serving ``root`` (notebooks at ``lab/tree/notebooks/``); its settings,
    workspaces, Jupyter directories and log under ``state``."""
    settings = state / "lab-settings"
    for plugin, values in LAB_SETTINGS.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    (state / "lab-workspaces").mkdir()
    port = free_port()
    argv = [str(BIN / "jupyter-lab"), "--allow-root", "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
            "--IdentityProvider.token=", "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True", "--LabApp.expose_app_in_browser=True",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={state / 'lab-workspaces'}",
            "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False"]
    return Server("JupyterLab", argv, port=port, ready_path="/api/status", cwd=root,
                  env=jupyter_env(state / "lab"), log=state / "jupyterlab.log")


# JupyterLab extensions a dashboard must not load (as `make dashboard` runs Voila): the classroom
# extra's nbgrader and notebook 7 front ends need JupyterLab's own modules, which Voila's page
# does not provide, and log errors there
VOILA_DENYLIST = ("@jupyter/nbgrader", "@jupyter-notebook/lab-extension")


def voila_server(root: Path, state: Path) -> Server:
    """Voila serving ``root/notebooks`` (a notebook at ``voila/render/NAME.ipynb``); its
    Jupyter directories and log under ``state``."""
    port = free_port()
    argv = [str(BIN / "voila"), str(root / "notebooks"), "--no-browser", f"--port={port}",
            "--Voila.ip=127.0.0.1", "--show_tracebacks=True",
            *(f"--VoilaConfiguration.extension_denylist={x}" for x in VOILA_DENYLIST)]
    return Server("Voila", argv, port=port, ready_path="/", cwd=root / "notebooks",
                  env=jupyter_env(state / "voila"), log=state / "voila.log")
