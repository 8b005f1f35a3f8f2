"""The import graph between the layers: which layer's modules import which, and the edges that
run against the direction the architecture wants (issue 14, part 5).

    .venv/bin/python scripts/import_graph.py [--modules]

The direction, innermost first: domain <- store <- projections <- app <- Kafka side <-
bootstrap (with the settings) <- entry points (CLI, HTTP, consumers). The projections build
the read models and know nothing of the application; the application's query service reads
them. An edge from a layer to one further out, or from the CLI or the HTTP API straight to
the store or the projections, is printed as AGAINST: those two reach them only through the
services and the container, except for the store's values (STORE_VALUES: its failures and
the outcomes of a kept HTTP answer), which they map to exit codes and answers. The
consumers are downstream deployables that keep their own tables with the store's tracking
store. `--modules` prints each AGAINST edge module by module. Imports inside
`if TYPE_CHECKING:` count too: they are the same dependency for a reader.
tests/unit/test_layers.py asserts that there is none.
"""

from __future__ import annotations

import argparse
import ast
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ledger", "cli", "api", "consumers")
#: module prefix -> (layer, rank); the longest matching prefix decides
LAYERS: dict[str, tuple[str, int]] = {
    "ledger.domain": ("domain", 0),
    "ledger.policy_file": ("domain", 0),
    "ledger.text": ("domain", 0),
    "ledger.store": ("store", 1),
    "ledger.projections": ("projections", 2),
    "ledger.app": ("app", 3),
    "ledger.audit": ("app", 3),
    "ledger.reports": ("app", 3),
    "ledger.reconcile": ("app", 3),
    "ledger.input_files": ("app", 3),
    "ledger.kafka": ("kafka", 4),
    "ledger.config": ("bootstrap", 5),
    "ledger.bootstrap": ("bootstrap", 5),
    "ledger.demo": ("entry", 6),
    "ledger": ("ledger (other)", 3),
    "cli": ("entry", 6),
    "api": ("entry", 6),
    "consumers": ("entry", 6),
}


INTERFACES = ("cli", "api")
#: the store's values the interfaces may name: its failures (mapped to exit codes and problem
#: documents) and the outcomes of a kept HTTP answer (mapped to replays and 409s)
STORE_VALUES = {"ledger.store.failures", "ledger.store.replay_outcomes"}


def layer_of(module: str) -> tuple[str, int] | None:
    best = ""
    for prefix in LAYERS:
        if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    return LAYERS[best] if best else None


def modules(root: Path = ROOT) -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def imports(module: str, path: Path) -> set[str]:
    """The project modules `module` imports (absolute, and relative ones resolved)."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def edges(root: Path = ROOT) -> set[tuple[str, str]]:
    """(importer, imported module) pairs: an imported name that is not a module counts as
    its module."""
    known = {module for module, _ in modules(root)}
    found = set()
    for module, path in modules(root):
        for target in imports(module, path):
            while target not in known and "." in target:
                target = target.rpartition(".")[0]
            if target in known and target != module:
                found.add((module, target))
    return found


def against(source: str, target: str) -> bool:
    here, there = layer_of(source), layer_of(target)
    if here is None or there is None or here[0] == there[0]:
        return False
    if (
        source.split(".")[0] in INTERFACES
        and there[0] in ("store", "projections")
        and target not in STORE_VALUES
    ):
        return True  # the interfaces reach them only through the services and the container
    return there[1] > here[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", action="store_true", help="print AGAINST edges by module")
    args = parser.parse_args()
    found = edges()
    between: Counter[tuple[str, str]] = Counter()
    wrong: Counter[tuple[str, str]] = Counter()
    for source, target in found:
        here, there = layer_of(source), layer_of(target)
        if here and there and here[0] != there[0]:
            between[(here[0], there[0])] += 1
            wrong[(here[0], there[0])] += against(source, target)
    for (here_name, there_name), count in sorted(between.items()):
        bad = wrong[(here_name, there_name)]
        mark = f"{bad} AGAINST" if bad else ""
        print(f"{here_name:>16} -> {there_name:<16} {count:4d}  {mark}")
    print(f"{sum(wrong.values())} import(s) against the direction of the layers")
    if args.modules:
        for source, target in sorted(edge for edge in found if against(*edge)):
            print(f"  {source} -> {target}")


if __name__ == "__main__":
    main()
