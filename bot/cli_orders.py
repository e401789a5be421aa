"""`omnibot orders …`: move orders along their lifecycle from the terminal."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.settings import Settings

app = typer.Typer(help="Orders: list them, move them on (the customer is notified).")
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


@app.command()
def advance(
    number: Annotated[str, typer.Argument(help="Order number, e.g. PZ-12345")],
    status: Annotated[str | None, typer.Option(help="Target status (default: the next)")] = None,
) -> None:
    """Move an order to its next status (or --status) and notify the customer once."""
    from bot.domain.order_status import OrderError
    from bot.order_board import advance_order

    settings = Settings()

    async def work(core):  # type: ignore[no-untyped-def]
        return await advance_order(core, number, status)

    try:
        order = asyncio.run(_with_runtime(settings, work))
    except OrderError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    console.print(f"{order['number']}: [bold]{order['status']}[/] (customer notified)")


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(help="Only orders in this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """The latest orders."""
    from bot.orders import list_orders
    from knowledge.catalog import format_price

    async def work(core):  # type: ignore[no-untyped-def]
        async with core.sessions() as session:
            return [
                (o.number, o.status, o.fulfilment, format_price(o.total, "pl"), o.created_at)
                for o in await list_orders(session, status, limit)
            ]

    rows = asyncio.run(_with_runtime(Settings(), work))
    table = Table("number", "status", "fulfilment", "total", "placed")
    for number, st, way, total, created in rows:
        table.add_row(number, st, way, total, created.strftime("%Y-%m-%d %H:%M"))
    console.print(table)
