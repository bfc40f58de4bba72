"""Re-execute the teaching notebooks in place: ``python notebooks/execute.py [--full] [NAME ...]``.

NAME is a file or a prefix: ``03`` (the lesson and its worked solutions), ``solutions/05``.

The committed notebooks hold the outputs of a run in **quick mode** (``BHLIB_QUICK=1``), the mode
in which ``make test`` checks them with nbval (``--nbval-lax``): the outputs nbval compares
(cells marked ``# NBVAL_CHECK_OUTPUT``) are then exactly the stored ones. ``--full`` runs the
full mode that ``make lab`` users get (longer training in notebooks 05 and 06); do not commit
those outputs. Each notebook runs in its own folder (``notebooks/``), as in JupyterLab and nbval.
Widget state is stored, so a static viewer shows each widget's first rendering.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def execute(path: Path, *, quick: bool = True, timeout: int = 900) -> float:
    """Run one notebook top to bottom in a fresh ``python3`` kernel, save it; return seconds."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    os.environ["BHLIB_QUICK"] = "1" if quick else "0"  # the kernel inherits the environment
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3",
                              "language": "python"}
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Command line: execute the named notebooks (default: every ``NN_*.ipynb``) in place."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", help="notebook files or name prefixes (e.g. 01 03)")
    ap.add_argument("--full", action="store_true", help="full mode (BHLIB_QUICK=0); do not commit")
    args = ap.parse_args(argv)
    every = (sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
             + sorted((HERE / "solutions").glob("[0-9][0-9]_*.ipynb")))
    if args.names:
        chosen = [p for p in every if any(str(p.relative_to(HERE)).startswith(n)
                                          or p.name.startswith(n) or p.name == Path(n).name
                                          for n in args.names)]
        if not chosen:
            ap.error(f"no notebook matches {args.names}; have {[p.name for p in every]}")
    else:
        chosen = every
    for path in chosen:
        mode = "full" if args.full else "quick"
        print(f"executing {path.relative_to(HERE)} ({mode} mode)…", flush=True)
        print(f"  done in {execute(path, quick=not args.full):.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
