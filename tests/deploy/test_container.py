"""The image and the compose file, checked without a Docker engine."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import service_unavailable

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {"SECRET_KEY": "k" * 48, "POSTGRES_PASSWORD": "pw123", "DOMAIN": "bot.example.com"}


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if shutil.which("docker-compose") is None:
        service_unavailable("docker-compose")
    clean = {k: v for k, v in os.environ.items() if k not in REQUIRED}
    return subprocess.run(
        ["docker-compose", "config"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_refuses_to_start_without_each_secret() -> None:
    for missing in REQUIRED:
        env = {k: v for k, v in REQUIRED.items() if k != missing}
        result = compose_config(env)
        assert result.returncode != 0 and missing in result.stderr, missing


def test_compose_scales_the_app_behind_the_proxy_only() -> None:
    result = compose_config(REQUIRED)
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    services = config["services"]
    app = services["app"]
    # A fixed host port would make `--scale app=3` fail; only the proxy publishes.
    assert "ports" not in app and "container_name" not in app
    assert app["build"] and app["restart"] == "unless-stopped"
    env = app["environment"]
    assert env["SECRET_KEY"] == REQUIRED["SECRET_KEY"]
    assert env["PUBLIC_URL"] == "https://bot.example.com"  # Telegram in webhook mode
    assert env["REDIS_URL"] and env["DATABASE_URL"].startswith("postgresql+asyncpg://")
    proxy_ip = services["proxy"]["networks"]["front"]["ipv4_address"]
    assert env["FORWARDED_ALLOW_IPS"] == proxy_ip
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"] and services[name]["volumes"]
        assert app["depends_on"][name]["condition"] == "service_healthy"
    assert {int(p["published"]) for p in services["proxy"]["ports"]} == {80, 443}
