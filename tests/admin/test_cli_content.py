"""`omnibot export` / `omnibot import` round-trip through files (our YAML and Rasa)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from bot import cli_content


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("OMNIBOT_DATA_DIR", str(tmp_path / "data"))
    app = typer.Typer()
    app.command("import")(cli_content.import_content)
    app.command("export")(cli_content.export_content)
    return app


def test_export_edit_import_and_refusal(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "content"
    r = runner.invoke(cli, ["export", str(out)])
    assert r.exit_code == 0, r.output
    catalog_file = out / "knowledge" / "catalog.yaml"
    catalog = yaml.safe_load(catalog_file.read_text())
    catalog["products"][0]["prices"]["small"] = 2590
    catalog_file.write_text(yaml.safe_dump(catalog, allow_unicode=True))
    r = runner.invoke(cli, ["import", str(out)])
    assert r.exit_code == 0 and "as version 2" in r.output, r.output
    r = runner.invoke(cli, ["import", str(out)])
    assert "nothing changed" in r.output

    r = runner.invoke(cli, ["export", str(tmp_path / "rasa.zip"), "--format", "rasa"])
    assert r.exit_code == 0
    names = zipfile.ZipFile(tmp_path / "rasa.zip").namelist()
    assert sorted(names) == ["data/nlu_en.yml", "data/nlu_pl.yml", "domain.yml"]

    bad = tmp_path / "faq.yaml"
    bad.write_text("faq:\n- id: x\n  questions: {pl: [a]}\n  answer: {en: b}\n")
    r = runner.invoke(cli, ["import", str(bad)])
    assert r.exit_code == 1
    assert "FAQ x needs an answer in pl (the default language)" in r.output
