"""`omnibot orders …`: list, show and move orders along their lifecycle from the terminal."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bot.settings import Settings

app = typer.Typer(help="Orders: list them, show one, move them on (the customer is notified).")
console = Console()


async def _with_runtime(settings: Settings, work):  # type: ignore[no-untyped-def]
    """The core without starting channels (a running server may own Telegram polling).

    A notification a channel cannot take from here stays in the outbox, and the
    running server's outbox loop delivers it.
    """
    from bot.app import build_runtime
    from bot.store.db import upgrade_database

    runtime = build_runtime(settings)
    await upgrade_database(settings.resolved_database_url())
    try:
        return await work(runtime.core)
    finally:
        await runtime.core.sessions.kw["bind"].dispose()


def _local(core: Any, iso: str | None) -> str:
    """An API time in the shop's time zone, e.g. "2026-12-01 19:40"."""
    from datetime import datetime

    if not iso:
        return ""
    facts = core.dialogue.catalog.facts
    return f"{facts.local(datetime.fromisoformat(iso)):%Y-%m-%d %H:%M}"


def _items(core: Any, card: dict[str, Any]) -> str:
    catalog = core.dialogue.catalog
    return "\n".join(
        f"{i['quantity']}× {catalog.item_label(i['name'], i['size'], 'pl')}" for i in card["items"]
    )


@app.command()
def advance(
    number: Annotated[str, typer.Argument(help="Order number, e.g. PZ-12345")],
    status: Annotated[str | None, typer.Option(help="Target status (default: the next)")] = None,
    eta: Annotated[int | None, typer.Option(help="Accepting: ready in N minutes")] = None,
    reason: Annotated[str | None, typer.Option(help="Rejecting/cancelling: why")] = None,
) -> None:
    """Move an order to its next status (or --status) and notify the customer once."""
    from bot.domain.order_status import OrderError
    from bot.order_board import StatusChange, advance_order

    settings = Settings()

    async def work(core):  # type: ignore[no-untyped-def]
        return await advance_order(core, number, status, StatusChange(status, eta, reason))

    try:
        order = asyncio.run(_with_runtime(settings, work))
    except OrderError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    console.print(f"{order['number']}: [bold]{order['status']}[/] (customer notified)")


@app.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option(help="Only these statuses (comma-separated)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """The latest orders with their items, fulfilment and times in the shop's time zone."""
    from bot.board import query_orders
    from knowledge.catalog import format_price

    async def work(core):  # type: ignore[no-untyped-def]
        async with core.sessions() as session:
            cards = await query_orders(
                session, core.dialogue.catalog, status.split(",") if status else None, None, limit
            )
        return [
            (
                c["number"],
                c["status"],
                _items(core, c),
                c["fulfilment"] + (f"\n{c['address']}" if c["address"] else ""),
                f"{c['contact_name'] or ''}\n{c['contact_phone_text']}".strip(),
                c["payment_method"] or "",
                format_price(c["total"], "pl"),
                _local(core, c["created_at"]),
            )
            for c in cards
        ]

    rows = asyncio.run(_with_runtime(Settings(), work))
    table = Table("number", "status", "items", "fulfilment", "customer", "payment", "total",
                  "placed", show_lines=True)  # fmt: skip
    for row in rows:
        table.add_row(*row)
    console.print(table)


@app.command()
def show(number: Annotated[str, typer.Argument(help="Order number, e.g. PZ-12345")]) -> None:
    """One order in full: items, customer, address, payment, note and its history."""
    from bot.board import find_order
    from knowledge.catalog import format_price

    async def work(core):  # type: ignore[no-untyped-def]
        async with core.sessions() as session:
            card = await find_order(session, core.dialogue.catalog, number)
        if card is None:
            return None
        history = [
            (_local(core, h["at"]), h["status"], h["by"], h["eta_minutes"], h["reason"])
            for h in card["history"]
        ]
        return card, _items(core, card), _local(core, card["created_at"]), history

    found = asyncio.run(_with_runtime(Settings(), work))
    if found is None:
        console.print(f"[red]no order {number}[/]")
        raise typer.Exit(1)
    card, items, placed, history = found
    console.print(f"[bold]{card['number']}[/] · {card['status']} · placed {placed}")
    console.print(items)
    console.print(
        f"total {format_price(card['total'], 'pl')} · payment {card['payment_method'] or '—'}"
    )
    way = card["fulfilment"] + (f": {card['address']}" if card["address"] else "")
    console.print(f"{way} · {card['contact_name'] or ''} {card['contact_phone_text']}")
    if card["note"]:
        console.print(f"note: {card['note']}")
    console.print(f"channel: {card['channel'] or '—'}")
    for at, st, by, eta, why in history:
        extra = (f" · {eta} min" if eta else "") + (f" · {why}" if why else "")
        console.print(f"  {at}  {st}  by {by}{extra}")
