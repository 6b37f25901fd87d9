"""Voila's configuration for ``actionlab serve``: Voila reads this file (named for it) from
JUPYTER_CONFIG_PATH, which ``actionlab.server.plan`` points here. See ``configure_voila``."""

from actionlab.server import configure_voila

configure_voila(get_config())  # noqa: F821 (traitlets runs config files with get_config defined)
