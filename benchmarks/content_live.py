"""Operator edits going live: seconds from a save in /api/admin to the bot answering with it.

    python benchmarks/content_live.py [--edits 10] [--port 8766]

Starts `omnibot run` (SQLite, the default NLU) on a temp data dir with an operator user,
then repeats: save a change (an intent example, a new FAQ entry, a price), poll
/api/admin/status until the live version reaches the saved one, and ask the web chat so
the change is seen in a reply. Prints p50 / max seconds per kind of change (target: 2 s).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from webchat_load import server_env, spawn_server

EMAIL, PASSWORD = "bench@shop.pl", "bench password"


def wait_live(http: httpx.Client, headers: dict[str, str], version: int) -> float:
    started = time.perf_counter()
    while True:
        status = http.get("/api/admin/status", headers=headers).json()
        if status["live_version"] >= version:
            return time.perf_counter() - started
        if time.perf_counter() - started > 60:
            raise SystemExit(f"version {version} not live after 60 s: {status}")
        time.sleep(0.02)


def edits(http: httpx.Client, headers: dict[str, str], n: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"intent example": [], "new FAQ entry": [], "price": []}
    token = http.post("/api/webchat/sessions").json()["session_token"]
    greet = http.get("/api/admin/intents/greet", headers=headers).json()
    product = http.get("/api/admin/products", headers=headers).json()["products"][0]
    for i in range(n):
        word = f"benchword{i}"
        greet["examples"]["pl"].append(word)
        started = time.perf_counter()
        r = http.put("/api/admin/intents/greet", json=greet, headers=headers)
        r.raise_for_status()
        wait_live(http, headers, r.json()["version"])
        timings["intent example"].append(time.perf_counter() - started)

        question = f"Czy macie stolik numer {i} dla psa rasy {word}?"
        started = time.perf_counter()
        r = http.post(
            "/api/admin/faq",
            json={"questions": {"pl": [question]}, "answers": {"pl": f"Tak ({i})."}},
            headers=headers,
        )
        r.raise_for_status()
        wait_live(http, headers, r.json()["version"])
        timings["new FAQ entry"].append(time.perf_counter() - started)
        reply = http.post(
            "/api/webchat/messages",
            json={"session_token": token, "text": question, "client_message_id": f"q{i}"},
        ).json()["replies"]
        if f"Tak ({i})." not in [m["text"] for m in reply]:
            raise SystemExit(f"the bot did not use the new FAQ entry: {reply}")

        product["prices"] = {k: v + 100 for k, v in product["prices"].items()}
        started = time.perf_counter()
        r = http.put(f"/api/admin/products/{product['id']}", json=product, headers=headers)
        r.raise_for_status()
        wait_live(http, headers, r.json()["version"])
        timings["price"].append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--edits", type=int, default=10, help="rounds of the three changes")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="omnibot-bench-")
    subprocess.run(
        [sys.executable, "-m", "bot", "users", "add", EMAIL, "--role", "operator",
         "--password", PASSWORD],
        env=server_env(data, "auto"), check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    proc, url = spawn_server(args.port, "auto", data)
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            token = http.post(
                "/api/auth/token", data={"username": EMAIL, "password": PASSWORD}
            ).json()["access_token"]
            timings = edits(http, {"Authorization": f"Bearer {token}"}, args.edits)
        for kind, values in timings.items():
            print(
                f"{kind:15s} n={len(values)}  save→live p50={statistics.median(values):.2f} s  "
                f"max={max(values):.2f} s"
            )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
