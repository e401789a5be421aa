"""`omnibot import PATH` / `omnibot export PATH`: operator content (intents, FAQ, catalog).

A running server picks an import up by itself within a few seconds (it follows the
content versions in the database).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.settings import Settings

console = Console()


async def _session_work(settings: Settings, work):  # type: ignore[no-untyped-def]
    """A session on the (migrated, seeded) store; no channels, no NLU."""
    from bot.content import formats, store
    from bot.store.db import create_engine, session_factory, upgrade_database

    url = settings.resolved_database_url()
    await upgrade_database(url)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            if await store.latest_version(session) == 0:
                items = formats.default_items(settings.catalog_path)
                await store.seed_if_empty(session, items)
            return await work(session)
    finally:
        await engine.dispose()


def export_content(
    path: Annotated[Path, typer.Argument(help="A folder, or a .zip file")],
    format: Annotated[str, typer.Option(help="yaml (ours) or rasa")] = "yaml",
) -> None:
    """Write intents, responses, FAQ and catalog: our YAML layout or Rasa's."""
    from bot.content import formats, store

    if format not in ("yaml", "rasa"):
        console.print("[red]--format must be yaml or rasa[/]")
        raise typer.Exit(2)

    async def work(session):  # type: ignore[no-untyped-def]
        return await store.snapshot(session)

    snap = asyncio.run(_session_work(Settings(), work))
    files = formats.export_yaml(snap) if format == "yaml" else formats.export_rasa(snap)
    if path.suffix == ".zip":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(formats.to_zip(files))
    else:
        formats.write_folder(files, path)
    console.print(f"exported content version {snap.version} to {path} ({len(files)} files)")


def import_content(
    path: Annotated[Path, typer.Argument(help="A folder, a .zip or one YAML file", exists=True)],
    replace: Annotated[
        bool, typer.Option(help="Also delete items of the imported kinds the files lack")
    ] = False,
) -> None:
    """Read our YAML (intents/, knowledge/) or Rasa nlu.yml/domain.yml; one new version."""
    from bot.content import editor, formats, store
    from bot.content.validation import ContentConflict, ContentError

    settings = Settings()

    async def work(session):  # type: ignore[no-untyped-def]
        snap = await store.snapshot(session)
        items = formats.parse_bundle(formats.read_bundle(path), snap, settings.default_language)
        version = await editor.import_items(
            session, items, None, settings.default_language, replace=replace,
            source=path.name,
        )  # fmt: skip
        return items, version

    try:
        items, version = asyncio.run(_session_work(settings, work))
    except (ContentError, ContentConflict, OSError, UnicodeDecodeError) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    counts = ", ".join(f"{len(v)} {k}" for k, v in items.items() if v)
    if version is None:
        console.print(f"nothing changed ({counts} read)")
    else:
        console.print(f"imported {counts} as version {version.id}")
