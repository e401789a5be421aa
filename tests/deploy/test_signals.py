"""The signals an operator watches: metrics per route, gauges, request ids in JSON logs."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from bot.observability import JsonFormatter, RequestIdFilter
from bot.settings import Settings
from tests.conftest import LiveServer, make_settings, running_app


def sample(text: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus text output (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + ("{" if labels else " ")):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


async def test_requests_are_measured_per_route_and_logged_as_json_with_their_id(
    settings: Settings, json_logs: io.StringIO
) -> None:
    async with running_app(settings) as (_, client):
        before = (await client.get("/metrics")).text
        token = (await client.post("/api/webchat/sessions")).json()["session_token"]
        sent = await client.post(
            "/api/webchat/messages",
            json={"session_token": token, "text": "menu", "client_message_id": "m1"},
            headers={"X-Request-ID": "shop-proxy-123"},
        )
        assert sent.headers["x-request-id"] == "shop-proxy-123"
        own = await client.get("/api/orders/PZ-99999")  # any number: one route label
        assert re.fullmatch(r"[0-9a-f]{32}", own.headers["x-request-id"])
        hostile = await client.get("/metrics", headers={"X-Request-ID": "x" * 500 + "\n"})
        assert hostile.headers["x-request-id"] != "x" * 500
        after = hostile.text

    def count(route: str, method: str, status: str) -> float:
        name = "omnibot_http_request_duration_seconds_count"
        labels = {"route": route, "method": method, "status": status}
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert count("/api/webchat/messages", "POST", "2xx") == 1
    assert count("/api/orders/{number}", "GET", "4xx") == 1
    assert "PZ-99999" not in after
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    mine = [entry for entry in lines if entry["request_id"] == "shop-proxy-123"]
    access = [e for e in mine if e["logger"] == "omnibot.access"]
    assert access and access[0]["status"] == 200 and access[0]["route"] == "/api/webchat/messages"


async def test_waiting_handoffs_and_open_sockets_are_gauged(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:

        async def scrape() -> str:
            return (await http.get("/metrics")).text

        token = (await http.post("/api/webchat/sessions")).json()["session_token"]
        ws_url = live_server.url.replace("http", "ws") + f"/ws/webchat?token={token}"
        sockets = sample(await scrape(), "omnibot_websockets_open", kind="webchat")
        async with websockets.connect(ws_url):
            # connect() returns once the server accepted the socket.
            assert sample(await scrape(), "omnibot_websockets_open", kind="webchat") == sockets + 1
            r = await http.post(
                "/api/webchat/messages",
                json={"session_token": token, "text": "człowiek", "client_message_id": "h1"},
            )
            assert r.status_code == 200
            text = await scrape()
            assert sample(text, "omnibot_handoffs_waiting") == 1
            assert sample(text, "omnibot_handoff_oldest_wait_seconds") >= 0
        closed: Any = None
        for _ in range(100):  # the server notices the close asynchronously; bounded
            closed = sample(await scrape(), "omnibot_websockets_open", kind="webchat")
            if closed == sockets:
                break
            await asyncio.sleep(0.05)
        assert closed == sockets


def test_the_grafana_dashboard_plots_only_metrics_the_app_exports() -> None:
    from pathlib import Path

    from prometheus_client import generate_latest

    import bot.app  # noqa: F401 - every module that defines a metric

    exported = set(re.findall(r"^# TYPE (\S+) ", generate_latest().decode(), re.MULTILINE))
    suffixes = ("", "_bucket", "_count", "_sum", "_total")
    known = {name + suffix for name in exported for suffix in suffixes}
    dashboard = json.loads(
        (Path(__file__).resolve().parents[2] / "deploy" / "grafana-dashboard.json").read_text()
    )
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {name for e in exprs for name in re.findall(r"\b(omnibot_\w+)", e)}
    assert used and used <= known, used - known
    for wanted in ("omnibot_outbox_backlog", "omnibot_handoffs_waiting", "omnibot_turn_seconds"):
        assert any(wanted in e for e in exprs)


async def test_requests_are_traced_to_an_otlp_collector(tmp_path: Any) -> None:
    """A local OTLP/HTTP collector receives the spans of the requests the app served."""
    import http.server
    import threading

    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    received: list[bytes] = []

    class Collector(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    collector = http.server.HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}"
    settings = make_settings(tmp_path, otel_exporter_otlp_endpoint=endpoint)
    try:
        async with running_app(settings) as (_, client):
            assert (await client.post("/api/webchat/sessions")).status_code == 200
        # Leaving the app flushed its spans to the collector.
    finally:
        collector.shutdown()
    names = set()
    for body in received:
        export = ExportTraceServiceRequest.FromString(body)
        for resource in export.resource_spans:
            for scope in resource.scope_spans:
                names.update(span.name for span in scope.spans)
    assert any("/api/webchat/sessions" in name for name in names), names


async def test_a_message_s_request_id_follows_it_to_a_delivery_retried_later(
    tmp_path: Any, json_logs: io.StringIO
) -> None:
    """An SMS whose reply Twilio refuses at first: the outbox retries it later, outside the
    webhook's request, and the delivery's log line still carries the webhook's request id."""
    from tests.adapters.sms.conftest import sms_app, sms_settings
    from tests.adapters.sms.fake_twilio import FakeTwilio, post_sms

    with FakeTwilio() as twilio:
        twilio.fail_next(status=500, times=1)
        async with sms_app(sms_settings(tmp_path, twilio.url)) as (_, client):
            webhook = await post_sms(client, "menu", from_="+48600111222")
            assert webhook.status_code == 200
            request_id = webhook.headers["x-request-id"]
            await twilio.wait_for_messages(1)
            for _ in range(200):  # the outcome is logged right after Twilio accepts; bounded
                if "to sms: sent" in json_logs.getvalue():
                    break
                await asyncio.sleep(0.02)
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    deliveries = [e for e in lines if e["logger"] == "bot.outbox" and "to sms" in e["message"]]
    assert [e["message"].rsplit(": ", 1)[1] for e in deliveries] == ["pending", "sent"]
    assert {e["request_id"] for e in deliveries} == {request_id}, deliveries
