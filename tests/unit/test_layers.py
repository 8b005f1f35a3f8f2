"""The layers' import rules (scripts/import_graph.py draws the graph).

What already holds is asserted outright: the domain imports nothing of the project beyond
itself, and nothing under `ledger/` imports an entry point (cli, api, consumers). The edges
that still run against the direction of the layers are listed, module by module, in
layers_against.txt (issue 14's work list): a new one fails the test, and so does one that is
gone but still listed, so the list stays true as the work proceeds.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).parent
SCRIPT = HERE.parents[1] / "scripts" / "import_graph.py"
AGAINST_LIST = HERE / "layers_against.txt"


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


def test_the_edges_against_the_layers_are_the_listed_ones() -> None:
    listed = {
        tuple(line.split(" -> "))
        for line in AGAINST_LIST.read_text().splitlines()
        if line and not line.startswith("#")
    }
    found = {edge for edge in EDGES if GRAPH.against(*edge)}
    assert sorted(found - listed) == [], "new imports against the layers' direction"
    assert sorted(listed - found) == [], "gone: remove them from layers_against.txt"


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
