"""The kernel of every page ``actionlab serve`` runs: ipykernel, without its debugger.

A page kernel is never debugged (the pages run no code people send them), and ipykernel's
debugger support (debugpy, loaded at start when it is installed) holds about 7 MB in every
kernel, measured. Voila finds this launcher through the server's own ``python3`` kernel
specification (``templates/kernels/python3/kernel.json``, first on its ``JUPYTER_PATH``);
JupyterLab and other Jupyter programs keep the usual kernel.

Nor does a page kernel keep IPython's input history: nobody types into it, and forty kernels
of a room would otherwise share one SQLite history file in the server's home (and a thread
each to write it).
"""

from __future__ import annotations

import sys


def main() -> None:
    # ``import debugpy`` now fails, so ipykernel starts as it does where debugpy is missing
    sys.modules["debugpy"] = None
    if sys.path and sys.path[0] in ("", "."):
        del sys.path[0]  # as ipykernel_launcher: not the working folder's modules
    sys.argv.append("--HistoryManager.enabled=False")
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
