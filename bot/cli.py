"""The `omnibot` command line (typer)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from bot import cli_content, cli_orders
from bot.observability import setup_logging
from bot.settings import Settings

app = typer.Typer(
    help="Omnibot: one customer, one history, one cart, any channel.", no_args_is_help=True
)
db_app = typer.Typer(help="Database maintenance.")
app.add_typer(db_app, name="db")
users_app = typer.Typer(help="Staff users: agents, operators, admins.")
app.add_typer(users_app, name="users")
app.add_typer(cli_orders.app, name="orders")
app.command("import")(cli_content.import_content)
app.command("export")(cli_content.export_content)
console = Console()


def _setup() -> Settings:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if not sys.stderr.isatty():
        # Hugging Face's progress bars ("Loading weights: 100%|███|") are redrawn with
        # carriage returns: in a log file they are only noise; our log lines say each step.
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    settings = Settings()
    setup_logging(settings)
    return settings


def _refuse(exc: ValueError) -> NoReturn:
    console.print(f"[bold red]Omnibot cannot start:[/] {exc}")
    raise typer.Exit(2)


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="Bind address (default HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default PORT)")] = None,
) -> None:
    """Start the server: web chat, API, pages and every configured channel."""
    import uvicorn

    from bot.app import create_app
    from bot.server import hand_over_the_gil_sooner, server_config, settle_the_heap

    try:
        settings = _setup()
    except ValueError as exc:  # a setting that fails its check: said plainly, no traceback
        _refuse(exc)
    if host:
        settings.host = host
    if port:
        settings.port = port
    status = console.status("Preparing Omnibot…")
    status.start()

    def progress(step: str) -> None:
        status.update(f"Preparing Omnibot: {step}…")

    def ready() -> None:
        settle_the_heap()
        status.stop()
        console.print(
            f"[bold green]Omnibot is up[/] — web chat at http://{settings.host}:{settings.port}"
        )
        # Called on the server's loop at its start: the count runs on a loop of its own.
        with ThreadPoolExecutor(1) as pool:
            admins = pool.submit(asyncio.run, _admins(settings)).result()
        if not admins:
            console.print(
                "No admin yet: create one with "
                "[bold]omnibot users add you@shop.pl --role admin[/] (asks for a password), "
                "then log in at /admin, /agent or /orders."
            )

    try:
        application = create_app(settings, progress=progress, on_ready=ready)
    except ValueError as exc:
        status.stop()
        _refuse(exc)

    # Client addresses (rate limits, logs) come from X-Forwarded-For only when the
    # connection comes from FORWARDED_ALLOW_IPS, i.e. the reverse proxy (see bot.server);
    # requests are logged by our own middleware (with their request id), not by uvicorn.
    config = server_config(application, settings, access_log=False, log_config=None)
    hand_over_the_gil_sooner()
    uvicorn.Server(config).run()


@app.command()
def prepare() -> None:
    """Prepare the NLU caches (ONNX export, training embeddings) without starting a server.

    The Docker image runs this at build time, so a container starts in seconds.
    """
    from bot.app import build_runtime, load_interpreter

    settings = _setup()
    runtime = build_runtime(settings)
    with console.status("Preparing the NLU…") as status:
        engine = load_interpreter(runtime, lambda step: status.update(f"Preparing: {step}…"))
    if engine is None:
        console.print("[red]the model NLU is not available[/]")
        raise typer.Exit(1)
    console.print(f"NLU ready; caches in {settings.cache_dir or settings.data_dir / 'cache'}")


@app.command()
def chat(
    address: Annotated[str, typer.Option(help="Who you are on the cli channel")] = "local",
) -> None:
    """Talk to the bot in the terminal, through the same core as every channel."""
    from adapters.cli import CliAdapter
    from bot.app import build_runtime, start_runtime, stop_runtime

    settings = _setup()

    async def session() -> None:
        runtime = build_runtime(settings)
        adapter = CliAdapter(
            runtime.core, lambda text: console.print(f"[cyan]bot>[/] {text}"), address
        )
        runtime.core.register_channel(adapter)
        with console.status("Preparing Omnibot…") as status:
            await start_runtime(runtime, lambda step: status.update(f"Preparing: {step}…"))
        console.print("Type a message; Ctrl-D or /quit to leave.")
        try:
            while True:
                try:
                    line = await asyncio.to_thread(console.input, "[bold]you>[/] ")
                except EOFError:
                    break
                if line.strip() in ("/quit", "/exit"):
                    break
                if line.strip():
                    await adapter.say(line)
        finally:
            await stop_runtime(runtime)

    asyncio.run(session())


async def _admins(settings: Settings) -> int:
    from bot.auth import count_admins
    from bot.store.db import create_engine, session_factory

    engine = create_engine(settings.resolved_database_url())
    try:
        async with session_factory(engine)() as session:
            return await count_admins(session)
    finally:
        await engine.dispose()


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="Login e-mail")],
    role: Annotated[str, typer.Option(help="kitchen | agent | operator | admin")] = "agent",
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, show_default=False),
    ] = "",
) -> None:
    """Create a staff user (or reset the password and role of an existing one)."""
    from bot.auth import create_user, use_hash_settings
    from bot.store.db import create_engine, session_factory, upgrade_database

    settings = _setup()
    use_hash_settings(settings)

    async def add() -> None:
        url = settings.resolved_database_url()
        await upgrade_database(url)
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                user = await create_user(session, email, password, role)
                console.print(f"user {user.email} ({user.role}) is ready")
        finally:
            await engine.dispose()

    try:
        asyncio.run(add())
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc


def _change_user(email: str, change: str, password: str = "") -> None:
    """Apply one change to a staff user: "passwd" or "disable"."""
    from bot.auth import disable_user, set_password, use_hash_settings
    from bot.store.db import create_engine, session_factory, upgrade_database

    settings = _setup()
    use_hash_settings(settings)

    async def apply() -> str:
        url = settings.resolved_database_url()
        await upgrade_database(url)
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                if change == "passwd":
                    user = await set_password(session, email, password)
                    return f"password of {user.email} changed; their old logins are signed out"
                user = await disable_user(session, email)
                return f"{user.email} is disabled and signed out everywhere"
        finally:
            await engine.dispose()

    try:
        console.print(asyncio.run(apply()))
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc


@users_app.command("passwd")
def users_passwd(
    email: Annotated[str, typer.Argument(help="Login e-mail")],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, show_default=False),
    ] = "",
) -> None:
    """Change a staff user's password; tokens issued before stop working at once."""
    _change_user(email, "passwd", password)


@users_app.command("disable")
def users_disable(email: Annotated[str, typer.Argument(help="Login e-mail")]) -> None:
    """Disable a staff user: no more logins, every token refused (`users add` enables again)."""
    _change_user(email, "disable")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (also done on every start)."""
    from bot.store.db import upgrade_database

    settings = _setup()
    asyncio.run(upgrade_database(settings.resolved_database_url()))
    console.print("database is up to date")


@app.command("eval")
def evaluate(
    train: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Training JSONL")],
    test: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Test JSONL")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    plot: Annotated[Path | None, typer.Option(help="Write a confusion plot (PNG)")] = None,
) -> None:
    """Train the bot's intent classifier on TRAIN and report how it does on TEST."""
    from intents import evaluation

    if plot is not None and importlib.util.find_spec("matplotlib") is None:
        # Checked before training so nobody waits a minute to learn it.
        console.print(
            "[red]--plot needs matplotlib, an optional extra:[/] "
            'pip install -e ".\\[plot]" in the Omnibot checkout (requirements-dev.lock has it too)'
        )
        raise typer.Exit(2)
    settings = _setup()
    result = evaluation.evaluate(
        train,
        test,
        model=settings.embedding_model,
        plot=plot,
        progress=not as_json,
        cache_dir=settings.cache_dir or settings.data_dir / "cache",
        oos_threshold=settings.nlu_oos_threshold,
    )
    if as_json:
        typer.echo(json.dumps(result, default=str))
    else:
        console.print(evaluation.format_report(result))


def main() -> None:
    app()
