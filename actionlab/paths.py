"""Where the workbook's own files live (method library, templates, notebooks, catalogs).

The workbook is installed from its source tree (``pip install -e .``), so the top-level
folders sit one level above this package.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT_DIR = PACKAGE_DIR.parent
DATA_DIR = ROOT_DIR / "data"
TEMPLATES_DIR = ROOT_DIR / "templates"
EXPORT_TEMPLATES_DIR = TEMPLATES_DIR / "export"
VOILA_TEMPLATES_ROOT = TEMPLATES_DIR  # holds voila/templates/actionlab (a JUPYTER_PATH entry)
NOTEBOOKS_DIR = ROOT_DIR / "notebooks"
LOCALE_DIR = PACKAGE_DIR / "locale"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
