"""Customer journeys in YAML, played through a channel, judged by the state they end in.

Shared by the pytest runner (in-process app, web chat + Telegram + SMS fakes) and
`benchmarks/journeys.py` (a running server, web chat). A journey file looks like::

    journeys:
      - id: pl-simple-pickup
        lang: pl
        simple: true            # a simple order: counts for the messages-to-order median
        channels: [web, telegram, sms]   # default [web]; the benchmark plays web only
        steps:
          - poprosze duza margherite        # typed text
          - {say: jednak srednia, cart: [1 margherita medium]}   # with a check after it
          - {press: Odbiór}                 # a button of the last replies
          - {say: Anna, 601 234 567, reply: podsumowanie}   # reply fragment(s), case-insensitive
        expect:                 # the end state
          cart: []              # lines "QTY PRODUCT [SIZE]", any order; [] = empty
          order: {total: 3290, fulfilment: pickup, status: new, contact_phone: "+48601234567"}
          orders: 1             # how many orders the customer has
          conversation: bot     # bot | waiting_agent | agent | closed
          language: pl
          handoffs: 0
          left_message: fragment   # a message left for the team contains this

A held-out journey that missed on its first run carries `xfail: what went wrong` until a
general fix makes it pass (pytest then expects it to fail, strictly: passing means the mark
must go); the benchmark plays it like any other.

A step may be typed in another channel by the same person (`{channel: telegram, say: …}`;
web, telegram or sms): the runner gives that channel its own new address, so it joins the
customer only with the proof a customer would use — `{code}` in the text is the last 6-digit
code the bot showed, `{start}` the token of the last deep link (`…?start=TOKEN`); the steps
after it stay in that channel until another `channel:`. The end state is read from the channel
of the last step. In `order:`, `lines` compares the items as
"QTY PRODUCT [SIZE]" lines, `address_has` and `note_has` look for a fragment (any case).

Every typed message must get at least one reply (no dead ends) unless the step says
`silent: true`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import yaml

HERE = Path(__file__).parent
TUNED = HERE / "journeys"
HELDOUT = HERE / "heldout"
ORDER_NUMBER = re.compile(r"\bPZ-\d{5}\b")


@dataclass
class Step:
    text: str | None = None
    press: str | None = None
    reply: list[str] = field(default_factory=list)
    no_reply: list[str] = field(default_factory=list)
    cart: list[str] | None = None
    silent: bool = False
    channel: str | None = None  # typed in another channel than the journey's first

    @property
    def shown(self) -> str:
        return f"[{self.press}]" if self.press is not None else str(self.text)


@dataclass
class Journey:
    id: str
    lang: str
    steps: list[Step]
    expect: dict[str, Any]
    channels: list[str]
    simple: bool
    source: str
    xfail: str | None = None  # a held-out miss not fixed yet: what went wrong


@dataclass
class Outcome:
    journey: Journey
    channel: str
    failures: list[str]
    messages_to_order: int | None  # typed/pressed messages until the first order number
    transcript: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _step(raw: Any) -> Step:
    if isinstance(raw, bool):  # YAML 1.1 reads a bare yes/no as a boolean
        return Step(text="yes" if raw else "no")
    if isinstance(raw, str):
        return Step(text=raw)
    if isinstance(raw, int | float):
        return Step(text=str(raw))
    unknown = set(raw) - {"say", "press", "reply", "no_reply", "cart", "silent", "channel"}
    if unknown or ("say" in raw) == ("press" in raw):
        raise ValueError(f"bad step {raw!r}")
    said = raw.get("say")
    return Step(
        text=("yes" if said else "no")
        if isinstance(said, bool)
        else str(said)
        if "say" in raw
        else None,
        press=str(raw["press"]) if "press" in raw else None,
        reply=_as_list(raw.get("reply")),
        no_reply=_as_list(raw.get("no_reply")),
        cart=_as_list(raw["cart"]) if "cart" in raw else None,
        silent=bool(raw.get("silent", False)),
        channel=str(raw["channel"]) if "channel" in raw else None,
    )


def load(folder: Path) -> list[Journey]:
    """Every journey of every YAML file in `folder`, ids unique."""
    journeys: list[Journey] = []
    for path in sorted(folder.glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8"))["journeys"]:
            journeys.append(
                Journey(
                    id=str(raw["id"]),
                    lang=str(raw["lang"]),
                    steps=[_step(s) for s in raw["steps"]],
                    expect=dict(raw.get("expect") or {}),
                    channels=_as_list(raw.get("channels")) or ["web"],
                    simple=bool(raw.get("simple", False)),
                    source=path.name,
                    xfail=str(raw["xfail"]) if raw.get("xfail") else None,
                )
            )
    ids = [j.id for j in journeys]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate journey ids: {sorted(duplicates)}")
    return journeys


class Customer(Protocol):
    """One customer in one channel: what they type or press, and what the bot answered."""

    channel: str

    async def start(self, lang: str) -> None: ...

    async def say(self, text: str) -> list[dict[str, Any]]: ...

    async def press(self, title: str) -> list[dict[str, Any]]: ...

    async def customer_id(self) -> int: ...


def button(replies: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """The button of `replies` whose title contains `title` (case-insensitive)."""
    for reply in replies:
        for b in reply.get("buttons") or []:
            if title.lower() in str(b["title"]).lower():
                return dict(b)
    raise LookupError(f"no button {title!r}")


class WebChatCustomer:
    """A web chat visitor over the public REST API (in-process or a real server)."""

    channel = "web"

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.token = ""
        self._customer_id = 0
        self._n = 0
        self._last: list[dict[str, Any]] = []

    async def start(self, lang: str) -> None:
        r = await self.http.post("/api/webchat/sessions", json={"language": lang})
        r.raise_for_status()
        self.token = r.json()["session_token"]
        self._customer_id = int(r.json()["customer_id"])

    async def _send(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        self._n += 1
        body |= {"session_token": self.token, "client_message_id": f"j{self._n}"}
        r = await self.http.post("/api/webchat/messages", json=body)
        if r.status_code != 200:
            raise AssertionError(f"HTTP {r.status_code}: {r.text}")
        self._last = list(r.json()["replies"])
        return self._last

    async def say(self, text: str) -> list[dict[str, Any]]:
        return await self._send({"text": text})

    async def press(self, title: str) -> list[dict[str, Any]]:
        b = button(self._last, title)
        return await self._send({"text": b["title"], "payload": b["payload"]})

    async def customer_id(self) -> int:
        return self._customer_id


StateReader = Callable[[int], Awaitable[dict[str, Any]]]
OtherChannel = Callable[[str], Customer]


def staff_state_reader(http: httpx.AsyncClient, token: str) -> StateReader:
    """The customer profile as an agent sees it: cart, orders, conversation, timeline."""

    async def read(customer_id: int) -> dict[str, Any]:
        r = await http.get(
            f"/api/customers/{customer_id}", headers={"Authorization": f"Bearer {token}"}
        )
        r.raise_for_status()
        return dict(r.json())

    return read


async def staff_token(http: httpx.AsyncClient, email: str, password: str) -> str:
    r = await http.post("/api/auth/token", data={"username": email, "password": password})
    r.raise_for_status()
    return str(r.json()["access_token"])


# -- judging the end state ------------------------------------------------------------
def item_lines(items: list[dict[str, Any]]) -> list[str]:
    """Cart or order items as sorted "QTY PRODUCT [SIZE]" lines (no size for single-size ones)."""
    lines = []
    for item in items:
        size = item.get("size")
        size = "" if size in (None, "", "default") else f" {size}"
        lines.append(f"{item['quantity']} {item['product_id']}{size}")
    return sorted(lines)


def cart_lines(profile: dict[str, Any]) -> list[str]:
    """The cart as sorted "QTY PRODUCT [SIZE]" lines."""
    return item_lines(profile["cart"]["items"])


def normal_lines(lines: list[str]) -> list[str]:
    return sorted(" ".join(line.split()) for line in lines)


def judge(expect: dict[str, Any], profile: dict[str, Any]) -> list[str]:
    """What differs between the expected end state and the customer's profile."""
    failures: list[str] = []
    if "cart" in expect:
        want, got = normal_lines(_as_list(expect["cart"])), cart_lines(profile)
        if want != got:
            failures.append(f"cart {got} != {want}")
    orders = profile["orders"]  # newest first
    if "orders" in expect and len(orders) != int(expect["orders"]):
        failures.append(f"{len(orders)} orders != {expect['orders']}")
    if "order" in expect:
        if not orders:
            failures.append("no order")
        else:
            last = orders[0]
            for key, want in dict(expect["order"]).items():
                if key == "lines":
                    got_lines = item_lines(last["items"])
                    if got_lines != normal_lines(_as_list(want)):
                        failures.append(f"order lines {got_lines} != {want}")
                elif key in ("address_has", "note_has"):
                    field_ = str(last.get(key.removesuffix("_has")) or "")
                    if str(want).lower() not in field_.lower():
                        failures.append(f"order {key[:-4]} {field_!r} lacks {want!r}")
                elif last.get(key) != want:
                    failures.append(f"order {key} {last.get(key)!r} != {want!r}")
    if "conversation" in expect:
        status = profile["conversation"]["status"]
        if status != expect["conversation"]:
            failures.append(f"conversation {status!r} != {expect['conversation']!r}")
    if "language" in expect and profile["language"] != expect["language"]:
        failures.append(f"language {profile['language']!r} != {expect['language']!r}")
    if "handoffs" in expect and len(profile["handoffs"]) != int(expect["handoffs"]):
        failures.append(f"{len(profile['handoffs'])} handoffs != {expect['handoffs']}")
    if "left_message" in expect:
        said = str(expect["left_message"]).lower()
        left = [str(h.get("message") or "") for h in profile["handoffs"]]
        if not any(said in text.lower() for text in left):
            failures.append(f"no message for the team with {said!r} (left: {left})")
    for key in ("name", "phone"):
        if key in expect and profile.get(key) != expect[key]:
            failures.append(f"customer {key} {profile.get(key)!r} != {expect[key]!r}")
    return failures


def _texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies)


CODE = re.compile(r"(?<![\d-])\d{6}(?![\d-])")
DEEP_LINK = re.compile(r"[?&]start=([\w-]+)")


def _proofs(replies: list[dict[str, Any]]) -> dict[str, str]:
    """The linking code and deep-link token the bot showed in these replies, if any."""
    shown = (
        _texts(replies)
        + "\n"
        + "\n".join(
            f"{b.get('title')} {b.get('payload')} {b.get('url')}"
            for r in replies
            for b in r.get("buttons") or []
        )
    )
    found: dict[str, str] = {}
    if codes := CODE.findall(shown):
        found["{code}"] = codes[-1]
    if links := DEEP_LINK.findall(shown):
        found["{start}"] = links[-1]
    return found


async def play(
    journey: Journey,
    customer: Customer,
    read_state: StateReader,
    other_channel: OtherChannel | None = None,
) -> Outcome:
    """Play the journey's steps as the customer; judge each check and the end state.

    Steps typed in another channel go to `other_channel(name)`'s customer (one per channel)."""
    failures: list[str] = []
    transcript: list[str] = []
    to_order: int | None = None
    proofs: dict[str, str] = {}
    customers = {customer.channel: customer}
    try:
        await customer.start(journey.lang)
    except httpx.HTTPError as exc:
        return Outcome(journey, customer.channel, [f"no session: {exc}"], None, transcript)
    for n, step in enumerate(journey.steps, 1):
        if step.channel and step.channel not in customers:
            if other_channel is None:
                failures.append(f"step {n}: no {step.channel} channel here")
                break
            customers[step.channel] = other_channel(step.channel)
            await customers[step.channel].start(journey.lang)
        customer = customers[step.channel or customer.channel]
        said = str(step.text)
        for placeholder, value in proofs.items():
            said = said.replace(placeholder, value)
        try:
            if step.press is not None:
                replies = await customer.press(step.press)
            else:
                replies = await customer.say(said)
        except (LookupError, AssertionError, httpx.HTTPError) as exc:
            failures.append(f"step {n} {step.shown!r}: {exc}")
            break
        proofs |= _proofs(replies)
        text = _texts(replies)
        shown = step.shown if step.press is not None else said
        where = f"[{customer.channel}] " if len(customers) > 1 else ""
        transcript.append(f"> {where}{shown}\n  " + text.replace("\n", "\n  "))
        if not replies and not step.silent:
            failures.append(f"step {n} {step.shown!r}: no reply")
        for fragment in step.reply:
            if fragment.lower() not in text.lower():
                failures.append(f"step {n} {step.shown!r}: no {fragment!r} in reply")
        for fragment in step.no_reply:
            if fragment.lower() in text.lower():
                failures.append(f"step {n} {step.shown!r}: {fragment!r} in reply")
        if step.cart is not None:
            got = cart_lines(await read_state(await customer.customer_id()))
            if got != normal_lines(step.cart):
                failures.append(f"step {n} {step.shown!r}: cart {got} != {step.cart}")
        if to_order is None and ORDER_NUMBER.search(text):
            to_order = n
    profile = await read_state(await customer.customer_id())
    failures += judge(journey.expect, profile)
    return Outcome(journey, customer.channel, failures, to_order, transcript)
