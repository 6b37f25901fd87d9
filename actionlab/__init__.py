"""actionlab: an Action Learning facilitation workbook.

The core package: models, store, services, method library, i18n, exporters and the
``actionlab`` command. It never imports ipywidgets; the views live in ``widgets``.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "load_workshop", "load_workshops"]


def __getattr__(name: str):
    # The analysis loaders need pandas: imported on first use, so `import actionlab` stays light.
    if name in ("load_workshop", "load_workshops"):
        from . import frames

        return getattr(frames, name)
    raise AttributeError(f"module 'actionlab' has no attribute {name!r}")
