"""Load the policy: the shipped default, merged with the file named by LEDGER_POLICY."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ledger.domain.errors import PolicyError
from ledger.domain.policy import Policy

DEFAULT_POLICY_NAME = "default_policy.toml"


def default_policy_text() -> str:
    return resources.files("ledger").joinpath(DEFAULT_POLICY_NAME).read_text(encoding="utf-8")


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_policy(path: str | Path | None = None) -> Policy:
    """The default policy, with the TOML file at `path` (if any) merged over it."""
    data = tomllib.loads(default_policy_text())
    if path:
        try:
            override = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise PolicyError(f"cannot read policy file {path}: {error.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise PolicyError(f"policy file {path} is not valid TOML: {error}") from None
        data = _merge(data, override)
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        source = path or "the default policy"
        raise PolicyError(f"invalid policy in {source}: {where}: {first['msg']}") from None
