"""Operator edits going live: seconds from a save in /api/admin to the bot answering with it.

    python benchmarks/content_live.py [--edits 10] [--port 8766]
        [--large ../shared/data/intents/clinc150/train.jsonl] [--cache-dir .omnibot/cache]

Starts `omnibot run` (SQLite, the default NLU) on a temp data dir with an operator user,
then repeats: save a change (an intent example, a new FAQ entry, a price), poll
/api/admin/status until the live version reaches the saved one, and ask the web chat so
the change is seen in a reply. Prints p50 / max seconds per kind of change (target: 2 s).
Then imports a 150-intent content set (CLINC150's training split: 15,000 examples, as
`--large`; skipped when the file is missing), times that import going live, and repeats
the same edits on the demo plus 150 intents.
"""

from __future__ import annotations

import argparse
import json
import os
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


def wait_live(
    http: httpx.Client, headers: dict[str, str], version: int, limit: float = 120
) -> float:
    started = time.perf_counter()
    while True:
        status = http.get("/api/admin/status", headers=headers).json()
        if status["live_version"] >= version:
            return time.perf_counter() - started
        if time.perf_counter() - started > limit:
            raise SystemExit(f"version {version} not live after {limit} s: {status}")
        time.sleep(0.02)


def edits(
    http: httpx.Client, headers: dict[str, str], n: int, tag: str = ""
) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"intent example": [], "new FAQ entry": [], "price": []}
    token = http.post("/api/webchat/sessions").json()["session_token"]
    greet = http.get("/api/admin/intents/greet", headers=headers).json()
    product = http.get("/api/admin/products", headers=headers).json()["products"][0]
    for i in range(n):
        word = f"benchword{tag}{i}"
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
            json={"questions": {"pl": [question]}, "answers": {"pl": f"Tak ({tag}{i})."}},
            headers=headers,
        )
        r.raise_for_status()
        wait_live(http, headers, r.json()["version"])
        timings["new FAQ entry"].append(time.perf_counter() - started)
        reply = http.post(
            "/api/webchat/messages",
            json={"session_token": token, "text": question, "client_message_id": f"q{tag}{i}"},
        ).json()["replies"]
        if f"Tak ({tag}{i})." not in [m["text"] for m in reply]:
            raise SystemExit(f"the bot did not use the new FAQ entry: {reply}")

        product["prices"] = {k: v + 100 for k, v in product["prices"].items()}
        started = time.perf_counter()
        r = http.put(f"/api/admin/products/{product['id']}", json=product, headers=headers)
        r.raise_for_status()
        wait_live(http, headers, r.json()["version"])
        timings["price"].append(time.perf_counter() - started)
    return timings


def import_large(http: httpx.Client, headers: dict[str, str], path: Path) -> float:
    """Upload a JSONL intent set (out-of-scope rows left out) as one import; seconds to live."""
    intents: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["intent"] != "oos":
            intents.setdefault(f"clinc_{row['intent']}", []).append(row["text"])
    body = json.dumps({"language": "en", "intents": intents}, ensure_ascii=False)
    started = time.perf_counter()
    r = http.post(
        "/api/admin/import",
        files={"file": ("clinc150.yaml", body.encode(), "application/x-yaml")},
        headers=headers,
    )
    r.raise_for_status()
    wait_live(http, headers, r.json()["version"], limit=600)
    return time.perf_counter() - started


def report(title: str, timings: dict[str, list[float]]) -> None:
    print(title)
    for kind, values in timings.items():
        print(
            f"  {kind:15s} n={len(values)}  save→live p50={statistics.median(values):.2f} s  "
            f"max={max(values):.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--edits", type=int, default=10, help="rounds of the three changes")
    parser.add_argument("--port", type=int, default=8766)
    root = Path(__file__).resolve().parents[1]
    parser.add_argument(
        "--large", type=Path, default=root.parent / "shared/data/intents/clinc150/train.jsonl"
    )
    parser.add_argument("--cache-dir", type=Path, default=root / ".omnibot" / "cache")
    args = parser.parse_args()
    os.environ["CACHE_DIR"] = str(args.cache_dir.resolve())  # embeddings computed once
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
            headers = {"Authorization": f"Bearer {token}"}
            report("demo content", edits(http, headers, args.edits))
            if args.large.is_file():
                seconds = import_large(http, headers, args.large)
                print(f"import of {args.large.parent.name} (150 intents) live in {seconds:.1f} s")
                report("demo + 150 intents", edits(http, headers, args.edits, tag="L"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
