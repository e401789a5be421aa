"""What a new user installs from: the locks, the settings template, the licence, the README."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def pins(lock: Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", lock.read_text(), re.MULTILINE)
    return {norm(name): version for name, version in found}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(specs: list[str]) -> dict[str, str]:
    found = {}
    for spec in specs:
        # name[extras]==version, then perhaps "; <environment marker>"
        pin = r"([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s;]+)(?:\s*;.+)?"
        name, version = re.fullmatch(pin, spec).groups()  # type: ignore[union-attr]
        found[norm(name)] = version
    return found


def test_the_locks_hold_every_pin_of_pyproject() -> None:
    """A dependency changed in pyproject.toml without `bash scripts/lock.sh` fails here."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    runtime = requirements(project["dependencies"] + extras["otel"] + extras["sentry"])
    everything = dict(runtime)
    for extra in extras.values():
        everything.update(requirements(extra))
    runtime.pop("torch")  # installed first, from PyTorch's CPU index
    everything.pop("torch")
    lock, dev_lock = pins(ROOT / "requirements.lock"), pins(ROOT / "requirements-dev.lock")
    assert {k: lock.get(k) for k in runtime} == runtime, "run: bash scripts/lock.sh"
    assert {k: dev_lock.get(k) for k in everything} == everything, "run: bash scripts/lock.sh"
    # Optional extras stay out of what the server installs; CUDA never comes in.
    assert "matplotlib" not in lock and "pytest" not in lock
    assert not any(k.startswith(("nvidia", "triton", "torch")) for k in dev_lock)
    # Every line pinned by hash: pip installs nothing it has not seen before.
    for text in ((ROOT / "requirements.lock").read_text(),):
        for block in re.split(r"\n(?=[A-Za-z])", text.strip()):
            if "==" in block.splitlines()[0]:
                assert "--hash=sha256:" in block, block.splitlines()[0]


def test_env_example_and_readme_list_every_setting() -> None:
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in Settings.model_fields:
        assert re.search(rf"^# {name.upper()}=", example, re.MULTILINE), name.upper()
        assert f"`{name.upper()}`" in readme, name.upper()


def test_the_licence_is_the_one_pyproject_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"]["text"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_readme_links_stay_inside_the_repository() -> None:
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        prose = re.sub(r"```.*?```|`[^`]*`", "", doc.read_text(), flags=re.DOTALL)
        for target in re.findall(r"\]\(([^)]+)\)", prose):
            assert not target.startswith(("http:", "https:")), (doc.name, target)
            if target.startswith("#"):
                continue
            path = (doc.parent / target.split("#")[0]).resolve()
            assert path.is_relative_to(ROOT) and path.exists(), (doc.name, target)


def test_migrations_form_one_line() -> None:
    """Two branches adding a migration with the same parent leave two heads, and every
    start then fails: renumber yours onto the other after merging."""
    from alembic.script import ScriptDirectory

    from bot.store.db import alembic_config

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, heads
