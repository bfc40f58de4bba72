"""One sweep per results folder: an exclusive lock on ``results/.sweep.lock``.

Two sweeps of the BH comparison (Yan et al., CIKM 2021, arXiv 2109.02471) writing into one folder
would train the same pending runs twice and append both copies to ``runs.jsonl``. So
:func:`bhlib.experiment.run_experiment` first takes :func:`sweep_lock`: an ``fcntl.flock``
(``LOCK_EX | LOCK_NB``) on the lock file, which then holds the holder's PID, start time and
command line. A second sweep on the folder fails at once with :class:`SweepLockedError` naming
the folder and that PID (``python -m bhlib.experiment`` exits with status 3).

The kernel drops the lock when the holder's process ends, however it ends (``kill -9``
included), so a lock file left by a killed sweep never blocks the next one; the file itself is
kept (deleting it could let two sweeps lock two different files). The lock is re-entrant within
one process: a nested :func:`sweep_lock` on a folder this process already holds shares it (the
command line holds it around the size table and the sweep). POSIX only (``fcntl``).
"""
from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["LOCK_NAME", "SweepLockedError", "sweep_lock", "lock_holder"]

LOCK_NAME = ".sweep.lock"   # in the results folder
_HELD: dict[Path, list] = {}  # resolved folder -> [file descriptor, depth] held by this process


class SweepLockedError(RuntimeError):
    """Another process holds the sweep lock of a results folder (:func:`sweep_lock`).

    ``directory`` is the folder as given, ``pid`` the holder's PID (None if it could not be read)
    and ``started`` when the holder took the lock (or None).
    """

    def __init__(self, directory: str | Path, pid: int | None = None,
                 started: str | None = None):
        self.directory, self.pid, self.started = str(directory), pid, started
        who = f"PID {pid}" if pid is not None else "PID unknown"
        when = f", started {started}" if started else ""
        super().__init__(f"results directory {self.directory!r} is in use by another sweep "
                         f"({who}{when}); wait for it or use --results <other dir>")

    def __reduce__(self):
        return type(self), (self.directory, self.pid, self.started)


def _parse(text: str) -> dict:
    """``{"pid", "started", "command"}`` of a lock file's text (None where absent)."""
    lines = text.splitlines()
    pid = lines[0].strip() if lines else ""
    rest = [line.strip() or None for line in lines[1:3]] + [None, None]
    return {"pid": int(pid) if pid.isdigit() else None, "started": rest[0], "command": rest[1]}


def lock_holder(results_dir: str | Path) -> dict:
    """What the lock file of ``results_dir`` says: ``{"pid", "started", "command"}``.

    The file names the last holder: whether it still holds the lock is the kernel's to say
    (:func:`sweep_lock`); a released lock leaves the file empty (all None).

    Example:
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> with sweep_lock(d):
        ...     lock_holder(d)["pid"] == os.getpid()
        True
        >>> lock_holder(d)
        {'pid': None, 'started': None, 'command': None}
    """
    try:
        return _parse((Path(results_dir) / LOCK_NAME).read_text(errors="replace"))
    except FileNotFoundError:
        return _parse("")


def _read_holder(fd: int) -> dict:
    """The holder's record, read through ``fd``; waits briefly for a holder that has just
    taken the lock and not yet written its PID."""
    for _ in range(20):
        holder = _parse(os.pread(fd, 4096, 0).decode(errors="replace"))
        if holder["pid"] is not None:
            break
        time.sleep(0.01)
    return holder


@contextmanager
def sweep_lock(results_dir: str | Path) -> Iterator[Path]:
    """Hold the exclusive sweep lock of ``results_dir`` (created if missing) for a ``with`` block.

    Raises :class:`SweepLockedError` at once if another process holds it. Yields the lock file's
    path; inside the block the file holds this process's PID, start time and command line.
    Released (the file emptied) when the block ends, and by the kernel if the process dies.

    Example:
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> with sweep_lock(d) as path:
        ...     path.name, int(path.read_text().split()[0]) == os.getpid()
        ('.sweep.lock', True)
    """
    out = Path(results_dir)
    out.mkdir(parents=True, exist_ok=True)
    key = out.resolve()
    if key in _HELD:  # this process holds it already: share it
        _HELD[key][1] += 1
        try:
            yield out / LOCK_NAME
        finally:
            _HELD[key][1] -= 1
        return
    fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)  # no O_TRUNC: keep the PID
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            raise SweepLockedError(results_dir, holder["pid"], holder["started"]) from None
        os.ftruncate(fd, 0)
        command = " ".join([os.path.basename(sys.executable), *sys.argv]).replace("\n", " ")
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        os.pwrite(fd, f"{os.getpid()}\n{started}\n{command}\n".encode(), 0)
        _HELD[key] = [fd, 1]
        try:
            yield out / LOCK_NAME
        finally:
            del _HELD[key]
            os.ftruncate(fd, 0)  # still locked: nobody reads a half-emptied file as ours
    finally:
        os.close(fd)  # releases the lock
