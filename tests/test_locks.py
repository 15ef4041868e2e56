"""The two lock files (issue 23): `make run` installs requirements.lock alone, `make test`
syncs requirements-dev.lock over the same venv and then treats it as holding both."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / lock).read_text().splitlines():
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        if match:
            found[normalised(match[1])] = match[2]
    return found


def requirements(specs: list[str]) -> dict[str, str]:
    """`name[extras]==version` from pyproject.toml, by normalised name."""
    found = {}
    for spec in specs:
        match = re.fullmatch(r"([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==(\S+)", spec)
        assert match, f"not pinned: {spec}"
        found[normalised(match[1])] = match[2]
    return found


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = pins("requirements.lock")
DEV = pins("requirements-dev.lock")


def test_the_runtime_lock_pins_every_dependency_at_pyprojects_version():
    for name, version in requirements(PROJECT["dependencies"]).items():
        assert RUNTIME.get(name) == version, name


def test_the_dev_lock_holds_the_runtime_lock_at_the_same_versions():
    differing = {name: (v, DEV.get(name)) for name, v in RUNTIME.items() if DEV.get(name) != v}
    assert differing == {}


def test_the_runtime_lock_leaves_out_the_test_and_training_stack():
    extras = PROJECT["optional-dependencies"]
    heavy = requirements(extras["dev"]) | requirements(extras["train"])
    assert sorted(set(heavy) & set(RUNTIME)) == []
    assert {"torch", "llama-cpp-python", "pytest"} <= set(DEV)
