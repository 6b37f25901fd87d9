"""actionlab: an Action Learning facilitation workbook.

The core package: models, store, services, method library, i18n, exporters and the
``actionlab`` command. It never imports ipywidgets; the views live in ``widgets``.
"""

__version__ = "0.1.0"
