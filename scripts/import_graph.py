"""The import graph between the layers: which layer's modules import which, and the edges that
run against the direction the architecture wants (issue 14, part 5).

    .venv/bin/python scripts/import_graph.py [--modules]

The direction, innermost first: domain <- store <- app and projections <- Kafka side <-
bootstrap <- entry points (CLI, HTTP, consumers). An edge from a layer to one further out,
between app and projections (either way), or from an entry point straight to the store or
the projections is printed as AGAINST. `--modules` prints each such
edge module by module. Imports inside `if TYPE_CHECKING:` count too: they are the same
dependency for a reader. tests/unit/test_layers.py holds the rules that already hold.
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
    "ledger.storage": ("store", 1),
    "ledger.audit": ("store", 1),
    "ledger.group_commit": ("store", 1),
    "ledger.sqlite_file": ("store", 1),
    "ledger.access": ("store", 1),
    "ledger.config": ("config", 1),
    "ledger.app": ("app", 2),
    "ledger.reports": ("app", 2),
    "ledger.reconcile": ("app", 2),
    "ledger.input_files": ("app", 2),
    "ledger.projections": ("projections", 2),
    "ledger.delivery": ("kafka", 3),
    "ledger.bootstrap": ("bootstrap", 4),
    "ledger.demo": ("entry", 5),
    "ledger": ("ledger (other)", 2),
    "cli": ("entry", 5),
    "api": ("entry", 5),
    "consumers": ("entry", 5),
}


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
    if {here[0], there[0]} == {"app", "projections"}:
        return True
    if here[0] == "entry" and there[0] in ("store", "projections"):
        return True  # the entry points reach them only through the services and the container
    return there[1] > here[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", action="store_true", help="print AGAINST edges by module")
    args = parser.parse_args()
    found = edges()
    between: Counter[tuple[str, str]] = Counter()
    for source, target in found:
        here, there = layer_of(source), layer_of(target)
        if here and there and here[0] != there[0]:
            between[(here[0], there[0])] += 1
    for (here, there), count in sorted(between.items()):
        mark = "AGAINST" if against(_any(here), _any(there)) else ""
        print(f"{here:>16} -> {there:<16} {count:4d}  {mark}")
    if args.modules:
        for source, target in sorted(edge for edge in found if against(*edge)):
            print(f"  {source} -> {target}")


def _any(layer: str) -> str:
    return next(prefix for prefix, (name, _) in LAYERS.items() if name == layer)


if __name__ == "__main__":
    main()
