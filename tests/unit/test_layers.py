"""The layers' import rules (scripts/import_graph.py draws the graph).

Asserted outright: the domain imports nothing of the project beyond itself; nothing under
`ledger/` imports an entry point (cli, api, consumers); the projections import nothing of the
app; the interfaces reach the projections only through the query service; and no import runs
against the direction of the layers (issue 14 ended with none; 72 when it began).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).parent
SCRIPT = HERE.parents[1] / "scripts" / "import_graph.py"


def _graph() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GRAPH = _graph()
EDGES: set[tuple[str, str]] = GRAPH.edges()


def test_the_domain_imports_nothing_of_the_project_beyond_itself() -> None:
    outside = sorted(
        (source, target)
        for source, target in EDGES
        if source.startswith("ledger.domain") and not target.startswith("ledger.domain")
    )
    assert outside == []


def test_nothing_under_ledger_imports_an_entry_point() -> None:
    found = sorted(
        (source, target)
        for source, target in EDGES
        if source.startswith("ledger.") and target.split(".")[0] in ("cli", "api", "consumers")
    )
    assert found == []


def test_the_projections_import_nothing_of_the_app() -> None:
    found = sorted(
        (source, target)
        for source, target in EDGES
        if source.startswith("ledger.projections")
        and (GRAPH.layer_of(target) or ("", 0))[0] == "app"
    )
    assert found == []


def test_the_interfaces_reach_the_projections_only_through_the_query_service() -> None:
    found = sorted(
        (source, target)
        for source, target in EDGES
        if source.split(".")[0] in ("cli", "api") and target.startswith("ledger.projections")
    )
    assert found == []


def test_no_import_runs_against_the_layers() -> None:
    """domain <- store <- projections <- app <- Kafka side <- bootstrap <- entry points, and
    the CLI and the HTTP API reach the store only for its values (scripts/import_graph.py)."""
    found = sorted(edge for edge in EDGES if GRAPH.against(*edge))
    assert found == []


def test_the_graph_sees_an_import_against_the_layers(tmp_path: Path) -> None:
    """The check can fail: an import of the app from the domain is seen, and is against."""
    assert GRAPH.against("ledger.domain.refund", "ledger.app.service")
    assert not GRAPH.against("ledger.app.service", "ledger.domain.refund")
    assert GRAPH.against("ledger.projections.trail", "ledger.app.service")
    assert not GRAPH.against("ledger.app.service", "ledger.projections.runner")
    assert GRAPH.against("cli.commands.reads", "ledger.projections.queries")
    assert GRAPH.against("api.deps", "ledger.store.tracking")
    assert not GRAPH.against("api.failures", "ledger.store.failures")
    assert not GRAPH.against("consumers.inbox", "ledger.store.tracking")
    source = "from ledger.app.service import RefundLedger\nfrom . import payloads\n"
    probe = tmp_path / "probe.py"
    probe.write_text(source)
    assert GRAPH.imports("ledger.domain.probe", probe) >= {
        "ledger.app.service",
        "ledger.domain.payloads",
    }
