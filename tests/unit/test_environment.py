"""environment.yml (conda) and pyproject.toml (pip) declare the same runtime dependencies.

Names are compared normalised (lower case, ``_`` and ``.`` become ``-``, extras dropped).
Where pyproject gives a lower bound, environment.yml must give one at least as high; where it
gives an upper bound, environment.yml must give one at least as tight; and the other way round,
a bound only environment.yml declares is reported too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]

# conda-forge name for a PyPI name, where the two differ.
PIP_TO_CONDA: dict[str, str] = {}
# conda entries that are not Python packages of ours: the interpreter and the installer.
CONDA_ONLY = {"python", "pip"}
# extras whose packages environment.yml also installs (so the store can use PostgreSQL).
EXTRAS_IN_CONDA = ("postgres",)


def normalize(name: str) -> str:
    name = name.split("[", 1)[0].strip().lower()
    return re.sub(r"[-_.]+", "-", name)


@dataclass(frozen=True)
class Bounds:
    lower: Version | None = None  # inclusive or exclusive, we only compare the numbers
    upper: Version | None = None

    @classmethod
    def from_specifier(cls, spec: SpecifierSet) -> Bounds:
        lower = upper = None
        for item in spec:
            version = Version(item.version.rstrip(".*"))
            if item.operator in (">=", ">", "==", "~=", "==="):
                lower = version if lower is None else max(lower, version)
            if item.operator in ("<", "<="):
                upper = version if upper is None else min(upper, version)
        return cls(lower, upper)


def parse_pip(requirement: str) -> tuple[str, Bounds]:
    req = Requirement(requirement)
    return normalize(req.name), Bounds.from_specifier(req.specifier)


_CONDA_RE = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*?)\s*$")


def parse_conda(spec: str) -> tuple[str, Bounds]:
    """``name``, ``name>=1,<2``, ``name 1.2.*``, ``name=1.2`` (conda's fuzzy equals)."""
    match = _CONDA_RE.match(spec)
    if not match:
        raise ValueError(f"cannot read conda spec {spec!r}")
    name, _extras, constraint = match.groups()
    constraint = constraint.replace(" ", "")
    if constraint and constraint[0].isdigit():
        constraint = "==" + constraint
    parts = []
    for part in filter(None, constraint.split(",")):
        if part.startswith("=") and not part.startswith("=="):
            part = "=" + part  # conda '=1.2' is a prefix match
        parts.append(part)
    return normalize(name), Bounds.from_specifier(SpecifierSet(",".join(parts)))


def compare(pip: dict[str, Bounds], conda: dict[str, Bounds]) -> list[str]:
    """Every disagreement between the two lists, as readable sentences (empty = agree)."""
    problems: list[str] = []
    conda_names = {PIP_TO_CONDA.get(name, name) for name in pip}
    for name, want in sorted(pip.items()):
        conda_name = PIP_TO_CONDA.get(name, name)
        if conda_name not in conda:
            problems.append(f"{name}: in pyproject.toml, missing from environment.yml")
            continue
        have = conda[conda_name]
        if want.lower is not None and (have.lower is None or have.lower < want.lower):
            problems.append(
                f"{name}: pyproject.toml needs >={want.lower}, environment.yml allows {have.lower or 'any'}"
            )
        if want.lower is None and have.lower is not None:
            problems.append(f"{name}: lower bound {have.lower} only in environment.yml")
        if want.upper is not None and (have.upper is None or have.upper > want.upper):
            problems.append(
                f"{name}: pyproject.toml needs <{want.upper}, environment.yml allows {have.upper or 'any'}"
            )
    for name in sorted(set(conda) - conda_names):
        problems.append(f"{name}: in environment.yml, missing from pyproject.toml")
    return problems


def load_pyproject() -> tuple[dict, dict[str, Bounds]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = dict(parse_pip(r) for r in project["dependencies"])
    for extra in EXTRAS_IN_CONDA:
        deps.update(parse_pip(r) for r in project.get("optional-dependencies", {}).get(extra, []))
    return project, deps


def load_environment() -> tuple[dict, dict[str, Bounds]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    deps: dict[str, Bounds] = {}
    for item in env["dependencies"]:
        if isinstance(item, str):
            name, bounds = parse_conda(item)
            deps[name] = bounds
        elif isinstance(item, dict):  # packages conda-forge lacks come from PyPI
            for req in item.get("pip", []):
                if not req.startswith("-"):
                    name, bounds = parse_pip(req)
                    deps[name] = bounds
    return env, deps


def test_environment_header() -> None:
    env, _ = load_environment()
    assert env["name"] == "actionlab"
    assert env["channels"] == ["conda-forge"]
    pip_section = [item["pip"] for item in env["dependencies"] if isinstance(item, dict)]
    assert len(pip_section) == 1 and pip_section[0][-1] == "-e .", \
        "the package itself is installed with pip -e ., last"


def test_python_version_agrees() -> None:
    project, _ = load_pyproject()
    _, conda = load_environment()
    wanted = Bounds.from_specifier(SpecifierSet(project["requires-python"]))
    assert "python" in conda
    assert conda["python"].lower == wanted.lower


def test_dependencies_agree() -> None:
    _, pip = load_pyproject()
    _, conda = load_environment()
    for name in CONDA_ONLY:
        conda.pop(name, None)
    problems = compare(pip, conda)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("pip", "conda", "expected"),
    [
        ({"pandas": ">=2"}, {"pandas": ">=2.0"}, []),
        ({"sqlalchemy": ">=2.0,<3"}, {"sqlalchemy": ">=2.0,<3"}, []),
        ({"pandas": ">=2"}, {}, ["pandas: in pyproject.toml, missing from environment.yml"]),
        ({}, {"numpy": ""}, ["numpy: in environment.yml, missing from pyproject.toml"]),
        ({"pandas": ">=2"}, {"pandas": ">=1.5"}, ["pandas: pyproject.toml needs >=2"]),
        ({"pandas": ">=2"}, {"pandas": ""}, ["pandas: pyproject.toml needs >=2"]),
        ({"pandas": ""}, {"pandas": ">=2"}, ["pandas: lower bound 2 only in environment.yml"]),
        ({"voila": ">=0.5.8,<0.6"}, {"voila": ">=0.5.8"}, ["voila: pyproject.toml needs <0.6"]),
    ],
)
def test_compare_reports_mismatches(pip: dict, conda: dict, expected: list[str]) -> None:
    pip_deps = dict(parse_pip(name + spec) for name, spec in pip.items())
    conda_deps = dict(parse_conda(name + spec) for name, spec in conda.items())
    problems = compare(pip_deps, conda_deps)
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("PyYAML", "pyyaml"),
        ("psycopg[binary]", "psycopg"),
        ("Jinja2", "jinja2"),
        ("ruamel_yaml", "ruamel-yaml"),
    ],
)
def test_normalize(raw: str, name: str) -> None:
    assert normalize(raw) == name


def test_parse_conda_forms() -> None:
    assert parse_conda("voila>=0.5.8,<0.6") == ("voila", Bounds(Version("0.5.8"), Version("0.6")))
    assert parse_conda("pandas >=2") == ("pandas", Bounds(Version("2"), None))
    assert parse_conda("segno 1.6.*") == ("segno", Bounds(Version("1.6"), None))
    assert parse_conda("babel=2.14") == ("babel", Bounds(Version("2.14"), None))
    assert parse_conda("pip") == ("pip", Bounds())
