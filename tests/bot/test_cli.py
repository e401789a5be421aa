"""The `omnibot` command line, as an operator uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OMNIBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NLU_BACKEND", "keywords")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    return tmp_path


def test_users_add_refuses_weak_passwords_and_creates_staff(env: Path) -> None:
    weak = runner.invoke(
        app, ["users", "add", "ala@shop.pl", "--role", "agent", "--password", "short"]
    )
    assert weak.exit_code == 2 and "at least 8" in weak.output
    bad_role = runner.invoke(
        app, ["users", "add", "ala@shop.pl", "--role", "boss", "--password", "long enough"]
    )
    assert bad_role.exit_code == 2 and "role must be" in bad_role.output
    ok = runner.invoke(
        app, ["users", "add", "ala@shop.pl", "--role", "admin", "--password", "long enough"]
    )
    assert ok.exit_code == 0 and "ala@shop.pl (admin)" in ok.output


def test_users_add_asks_for_the_password_twice_without_a_default(env: Path) -> None:
    typed = runner.invoke(
        app, ["users", "add", "ola@shop.pl", "--role", "kitchen"], input="pass 1234\npass 1234\n"
    )
    assert typed.exit_code == 0 and "ola@shop.pl (kitchen)" in typed.output
    assert typed.output.startswith("Password: ")  # not "Password []:", as if empty were offered
    assert "Repeat for confirmation: " in typed.output


def test_users_passwd_and_disable_sign_the_user_out(env: Path) -> None:
    from starlette.testclient import TestClient

    from bot.app import create_app
    from bot.settings import Settings

    runner.invoke(
        app, ["users", "add", "ala@shop.pl", "--role", "agent", "--password", "pass 1234"]
    )
    unknown = runner.invoke(app, ["users", "disable", "who@shop.pl"])
    assert unknown.exit_code == 2 and "no staff user" in unknown.output
    with TestClient(create_app(Settings())) as client:
        form = {"username": "ala@shop.pl", "password": "pass 1234"}
        token = client.post("/api/auth/token", data=form).json()["access_token"]
        me = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/auth/me", headers=me).status_code == 200
        changed = runner.invoke(app, ["users", "passwd", "ala@shop.pl", "--password", "pass 5678"])
        assert changed.exit_code == 0, changed.output
        assert client.get("/api/auth/me", headers=me).status_code == 401
        form["password"] = "pass 5678"
        token = client.post("/api/auth/token", data=form).json()["access_token"]
        me = {"Authorization": f"Bearer {token}"}
        assert runner.invoke(app, ["users", "disable", "ala@shop.pl"]).exit_code == 0
        assert client.get("/api/auth/me", headers=me).status_code == 401
        assert client.post("/api/auth/token", data=form).status_code == 401


def test_chat_talks_through_the_same_core(env: Path) -> None:
    result = runner.invoke(app, ["chat"], input="cześć\n1\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "Pizzeria Omnibot" in result.output
    assert "1. Menu" in result.output  # numbered options: the terminal has no buttons
    assert "Pizze" in result.output  # "1" picked the first option


def test_orders_list_is_empty_on_a_new_shop(env: Path) -> None:
    result = runner.invoke(app, ["orders", "list"])
    assert result.exit_code == 0, result.output
    missing = runner.invoke(app, ["orders", "advance", "PZ-00000"])
    assert missing.exit_code != 0 and "PZ-00000" in missing.output


def test_eval_prints_one_json_object(env: Path, tmp_path: Path) -> None:
    train = tmp_path / "train.jsonl"
    test = tmp_path / "test.jsonl"
    rows = {
        "greet": ["hello", "hi there", "good morning", "hey", "hello friend", "hi!"],
        "bye": ["goodbye", "bye bye", "see you", "farewell", "bye now", "see you later"],
    }
    train.write_text(
        "\n".join(json.dumps({"text": t, "intent": i}) for i, ts in rows.items() for t in ts)
    )
    test.write_text(
        "\n".join(
            [
                json.dumps({"text": "hello there", "intent": "greet"}),
                json.dumps({"text": "see you soon", "intent": "bye"}),
                json.dumps({"text": "what is the capital of peru", "intent": "oos"}),
            ]
        )
    )
    result = runner.invoke(app, ["eval", "--train", str(train), "--test", str(test), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # stdout holds only the JSON (progress goes to stderr)
    assert {
        "accuracy",
        "macro_f1",
        "oos_recall",
        "oos_precision",
        "train_seconds",
        "n_train",
        "n_test",
    } <= set(report)
    assert report["n_train"] == 12 and report["n_test"] == 3
    assert 0 <= report["accuracy"] <= 1


def test_eval_refuses_missing_files(env: Path) -> None:
    result = runner.invoke(app, ["eval", "--train", "nope.jsonl", "--test", "nope.jsonl"])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_eval_plot_without_matplotlib_says_how_to_install_it(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"text": "hello", "intent": "greet"}) + "\n")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # not installed
    result = runner.invoke(
        app, ["eval", "--train", str(rows), "--test", str(rows), "--plot", str(tmp_path / "p.png")]
    )
    assert result.exit_code == 2
    assert '".[plot]"' in result.output and not (tmp_path / "p.png").exists()


def test_orders_list_and_show_tell_the_kitchen_everything(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "220")
    kitchen = runner.invoke(
        app, ["users", "add", "kuchnia@shop.pl", "--role", "kitchen", "--password", "long enough"]
    )
    assert kitchen.exit_code == 0 and "(kitchen)" in kitchen.output
    talk = "\n".join(["poproszę dużą margheritę", "zamawiam", "odbiór osobisty",
                      "Jan, 600 111 222", "bez cebuli", "kartą", "/quit", ""])  # fmt: skip
    chat = runner.invoke(app, ["chat"], input=talk)
    number = next(w.strip(".,") for w in chat.output.split() if w.startswith("PZ-"))
    listed = runner.invoke(app, ["orders", "list"])
    assert listed.exit_code == 0, listed.output
    for shown in (number, "1× Margherita, duża (42 cm)", "pickup", "Jan", "600 111 222"):
        assert shown in listed.output, listed.output
    moved = runner.invoke(app, ["orders", "advance", number, "--eta", "30"])
    assert moved.exit_code == 0 and "confirmed" in moved.output
    shown = runner.invoke(app, ["orders", "show", number])
    assert "note: bez cebuli" in shown.output and "1× Margherita" in shown.output
    assert "new  by customer" in shown.output and "confirmed  by system · 30 min" in shown.output
    assert runner.invoke(app, ["orders", "show", "PZ-00000"]).exit_code == 1


def test_chat_answers_with_the_operators_content(env: Path, tmp_path: Path) -> None:
    edited = tmp_path / "responses.yaml"
    edited.write_text(
        'responses:\n  thanks:\n    pl: ["Dziękujemy, wpadnij do nas znowu!"]\n', encoding="utf-8"
    )
    imported = runner.invoke(app, ["import", str(edited)])
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(app, ["chat"], input="dzięki\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "wpadnij do nas znowu" in result.output
