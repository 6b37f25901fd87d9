"""The kernel of every page ``actionlab serve`` runs: ipykernel, without its debugger.

A page kernel is never debugged (the pages run no code people send them), and ipykernel's
debugger support (debugpy, loaded at start when it is installed) holds about 7 MB in every
kernel, measured. Voila finds this launcher through the server's own ``python3`` kernel
specification (``templates/kernels/python3/kernel.json``, first on its ``JUPYTER_PATH``);
JupyterLab and other Jupyter programs keep the usual kernel.

Nor does a page kernel keep IPython's input history: nobody types into it, and forty kernels
of a room would otherwise share one SQLite history file in the server's home (and a thread
each to write it).

On Linux the server does not start this module as a new program for each page: the kernels
are forked from one process that has imported it (:mod:`actionlab.kernel_fork`).
"""

from __future__ import annotations

import sys

#: The argument that turns IPython's input history off.
NO_HISTORY = "--HistoryManager.enabled=False"
#: ipywidgets registers its comm targets when it is imported into a running kernel. Imported
#: before the kernel existed (a forked kernel's parent preloads it) it has not: loaded as an
#: IPython extension it registers them once the kernel is up. Without them a page's browser
#: cannot ask for all widget states at once and falls back to one request per widget, which
#: leaves a page of a thousand widgets on "Loading widget..." (seen after a server restart).
WIDGETS = "--IPKernelApp.extensions=ipywidgets"


def prepare() -> None:
    """What must hold before ipykernel is imported."""
    # ``import debugpy`` now fails, so ipykernel starts as it does where debugpy is missing
    sys.modules["debugpy"] = None
    if sys.path and sys.path[0] in ("", "."):
        del sys.path[0]  # as ipykernel_launcher: not the working folder's modules


def main() -> None:
    prepare()
    sys.argv += [NO_HISTORY, WIDGETS]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
