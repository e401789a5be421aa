"""The conversation suite against a running server, through the web chat.

    omnibot users add bench@shop.pl --role agent --password '…'     # once, on that server
    python benchmarks/journeys.py http://127.0.0.1:8000 --email bench@shop.pl --password '…'
    python benchmarks/journeys.py --spawn            # starts `omnibot run` on a temp data dir

Plays every journey of tests/conversations/journeys (tuned) and tests/conversations/heldout
(written after the tuning, never tuned on) as a new web chat customer (against your own
server, raise WEBCHAT_NEW_SESSIONS_PER_IP: every journey opens a session from one address),
reads the end state
(cart, orders, conversation) from the agent API, and prints per set and language the share
of journeys that end as meant, and the median number of customer messages from the first
message to a confirmed order (simple orders, and all journeys that reach an order).
`--only tuned|held-out` plays one set, `--file NAME.yaml` only that file's journeys;
`--show-failures` prints what went wrong, with the transcript. Journeys that move to
Telegram or SMS midway are left to `pytest tests/conversations` (it has the channel fakes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conversations.player import (  # noqa: E402
    HELDOUT,
    TUNED,
    Journey,
    Outcome,
    WebChatCustomer,
    load,
    play,
    staff_state_reader,
    staff_token,
)


async def run_set(url: str, token: str, journeys: list[Journey], concurrency: int) -> list[Outcome]:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        read = staff_state_reader(http, token)

        async def one(journey: Journey) -> Outcome:
            async with limit:
                return await play(journey, WebChatCustomer(http), read)

        return list(await asyncio.gather(*(one(j) for j in journeys)))


def report(name: str, outcomes: list[Outcome], show_failures: bool) -> None:
    print(f"\n{name}: {len(outcomes)} journeys")
    for lang in [*sorted({o.journey.lang for o in outcomes}), "all"]:
        subset = [o for o in outcomes if lang in ("all", o.journey.lang)]
        ok = sum(o.ok for o in subset)
        print(f"  {lang:>3}: {ok}/{len(subset)} end as meant ({100 * ok / len(subset):.1f}%)")
    simple = [o.messages_to_order for o in outcomes if o.journey.simple and o.messages_to_order]
    reached = [o.messages_to_order for o in outcomes if o.messages_to_order]
    if simple:
        print(
            f"  customer messages to a confirmed order, simple orders: median "
            f"{statistics.median(simple):g} (n={len(simple)}, max {max(simple)})"
        )
    if reached:
        print(
            f"  customer messages to a confirmed order, every journey that orders: median "
            f"{statistics.median(reached):g} (n={len(reached)})"
        )
    for o in outcomes:
        if not o.ok:
            print(f"  FAILED {o.journey.id} ({o.journey.source}): {'; '.join(o.failures)}")
            if show_failures:
                print("    " + "\n    ".join("\n".join(o.transcript).splitlines()))


def spawn(port: int) -> tuple[subprocess.Popen[bytes], str, str, str]:
    """`omnibot run` on a new temp data dir with a staff user; returns once it answers."""
    data = tempfile.mkdtemp(prefix="omnibot-journeys-")
    env = {**os.environ, "OMNIBOT_DATA_DIR": data, "HF_HUB_OFFLINE": "1"}
    # Every journey is a new web chat visitor, all from 127.0.0.1.
    env["WEBCHAT_NEW_SESSIONS_PER_IP"] = "100000"
    email, password = "journeys@bench.local", secrets.token_urlsafe(12)
    subprocess.run(
        [sys.executable, "-m", "bot", "users", "add", email, "--password", password],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url, email, password
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("server did not start")


async def main_async(args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=args.url, timeout=60) as http:
        token = await staff_token(http, args.email, args.password)
    sets = {"tuned": TUNED, "held-out": HELDOUT}
    for name, folder in sets.items():
        if args.only and name != args.only:
            continue
        journeys = load(folder) if folder.exists() else []
        if args.file:
            journeys = [j for j in journeys if j.source in args.file]
        # Moving to Telegram or SMS needs the channel fakes: pytest plays those journeys.
        other = [j for j in journeys if any(s.channel not in (None, "web") for s in j.steps)]
        if other:
            print(f"\n{name}: {len(other)} journeys move to another channel (pytest plays them)")
            journeys = [j for j in journeys if j not in other]
        if not journeys:
            print(f"\n{name}: no journeys in {folder}")
            continue
        started = time.monotonic()
        outcomes = await run_set(args.url, token, journeys, args.concurrency)
        report(name, outcomes, args.show_failures)
        print(f"  ({time.monotonic() - started:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url", nargs="?", help="a running server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--email", default=os.environ.get("OMNIBOT_BENCH_EMAIL"))
    parser.add_argument("--password", default=os.environ.get("OMNIBOT_BENCH_PASSWORD"))
    parser.add_argument("--spawn", action="store_true", help="start a server on a temp dir")
    parser.add_argument("--port", type=int, default=8765, help="port for --spawn")
    parser.add_argument("--concurrency", type=int, default=4, help="journeys at once")
    parser.add_argument("--only", choices=["tuned", "held-out"])
    parser.add_argument(
        "--file",
        action="append",
        help="play only the journeys of this file of a set (its name, e.g. heldout_round2.yaml;"
        " repeatable)",
    )
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()
    proc = None
    if args.spawn:
        proc, args.url, args.email, args.password = spawn(args.port)
    if not (args.url and args.email and args.password):
        parser.error("give the server URL and a staff --email/--password (or --spawn)")
    try:
        asyncio.run(main_async(args))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
