"""The method library: stages, roles, meeting rules and canvas definitions, read from data/.

Everything here is data in YAML with a ``zh`` and an ``en`` text for every visible string
(``{zh: …, en: …}``); a new canvas kind needs a file in ``data/canvases/``, not code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from .errors import LibraryError
from .i18n import LANGS, normalize_lang
from .paths import DATA_DIR


@dataclass(frozen=True)
class Text:
    """A text in every workshop language."""

    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        return getattr(self, normalize_lang(lang))

    @classmethod
    def parse(cls, value, where: str) -> Text:
        if not isinstance(value, dict) or any(not value.get(lang) for lang in LANGS):
            raise LibraryError(f"{where}: needs a non-empty text for each of {sorted(LANGS)}")
        return cls(zh=str(value["zh"]).strip(), en=str(value["en"]).strip())


@dataclass(frozen=True)
class ColumnDef:
    key: str
    title: Text
    hint: Text


@dataclass(frozen=True)
class CanvasDef:
    key: str
    title: Text
    intro: Text
    columns: tuple[ColumnDef, ...]
    stage: int | None = None
    step: int | None = None
    order: int = 100  # position in the facilitator's list of canvases

    def column(self, key: str) -> ColumnDef:
        for col in self.columns:
            if col.key == key:
                return col
        raise LibraryError(f"canvas {self.key!r} has no column {key!r}")

    @property
    def column_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)


@dataclass(frozen=True)
class Item:
    """A titled entry of a list in the library (a stage, a role, a rule)."""

    key: str
    title: Text
    body: Text


def _read(path: Path) -> dict:
    try:
        with path.open(encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise LibraryError(f"{path.name}: cannot be read ({exc})") from exc
    if not isinstance(doc, dict):
        raise LibraryError(f"{path.name}: expected a mapping at the top")
    return doc


def parse_canvas(doc: dict, where: str) -> CanvasDef:
    key = doc.get("key")
    if not key or not isinstance(key, str):
        raise LibraryError(f"{where}: a canvas needs a 'key'")
    cols = doc.get("columns") or []
    if not cols:
        raise LibraryError(f"{where}: a canvas needs at least one column")
    columns = []
    for i, col in enumerate(cols):
        if not isinstance(col, dict) or not col.get("key"):
            raise LibraryError(f"{where}: column {i + 1} needs a 'key'")
        columns.append(
            ColumnDef(
                key=str(col["key"]),
                title=Text.parse(col.get("title"), f"{where}: column {col['key']} title"),
                hint=Text.parse(col.get("hint"), f"{where}: column {col['key']} hint"),
            )
        )
    if len({c.key for c in columns}) != len(columns):
        raise LibraryError(f"{where}: column keys must be unique")
    return CanvasDef(
        key=key,
        title=Text.parse(doc.get("title"), f"{where}: title"),
        intro=Text.parse(doc.get("intro"), f"{where}: intro"),
        columns=tuple(columns),
        stage=doc.get("stage"),
        step=doc.get("step"),
        order=int(doc.get("order", 100)),
    )


class Library:
    """The method library found in one data folder (``data/`` by default)."""

    def __init__(self, root: Path = DATA_DIR):
        self.root = Path(root)

    @cache  # noqa: B019 - a library lives as long as the process
    def canvases(self) -> dict[str, CanvasDef]:
        found = []
        for path in sorted((self.root / "canvases").glob("*.yaml")):
            found.append(parse_canvas(_read(path), path.name))
        found.sort(key=lambda c: (c.order, c.key))
        return {c.key: c for c in found}

    def canvas(self, key: str) -> CanvasDef:
        try:
            return self.canvases()[key]
        except KeyError:
            raise LibraryError(f"no canvas named {key!r} in {self.root}") from None

    @cache  # noqa: B019
    def items(self, name: str) -> tuple[Item, ...]:
        """Entries of ``data/method/<name>.yaml`` (stages, roles, rules …) in their order."""
        path = self.root / "method" / f"{name}.yaml"
        doc = _read(path)
        entries = doc.get("items") or []
        out = []
        for i, entry in enumerate(entries):
            where = f"{path.name}: item {i + 1}"
            if not isinstance(entry, dict) or not entry.get("key"):
                raise LibraryError(f"{where} needs a 'key'")
            out.append(
                Item(
                    key=str(entry["key"]),
                    title=Text.parse(entry.get("title"), f"{where} title"),
                    body=Text.parse(entry.get("body"), f"{where} body"),
                )
            )
        return tuple(out)

    def item(self, name: str, key: str) -> Item:
        for entry in self.items(name):
            if entry.key == key:
                return entry
        raise LibraryError(f"{name}: no entry {key!r}")


@cache
def default_library() -> Library:
    return Library(DATA_DIR)
