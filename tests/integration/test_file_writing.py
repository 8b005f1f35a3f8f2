"""`cli.files.writing` on a real file system: the cases a CLI run cannot time, such as a
failure half way through or a file that appears while the content is being written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cli.files import TargetRefused, writing
from ledger.domain.errors import InvalidInput


def names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def test_a_failure_half_way_removes_the_temporary_file_and_keeps_the_target(
    tmp_path: Path,
) -> None:
    target = tmp_path / "bundle.jsonl"
    target.write_bytes(b"old\n")

    with pytest.raises(RuntimeError, match="export failed"):
        with writing(target, force=True, private=True) as file:
            file.write(b"half of the new content")
            assert len(names(tmp_path)) == 2  # the temporary file, beside the target
            raise RuntimeError("export failed")

    assert names(tmp_path) == ["bundle.jsonl"]
    assert target.read_bytes() == b"old\n"


def test_the_content_appears_only_when_the_block_ends(tmp_path: Path) -> None:
    target = tmp_path / "kpis.html"

    with writing(target, force=False, private=True) as file:
        file.write(b"<html>")
        assert not target.exists()

    assert target.read_bytes() == b"<html>"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert names(tmp_path) == ["kpis.html"]


def test_a_file_that_appears_while_writing_is_not_replaced_without_force(
    tmp_path: Path,
) -> None:
    target = tmp_path / "kpis.html"

    with pytest.raises(TargetRefused, match="it exists"):
        with writing(target, force=False, private=True) as file:
            file.write(b"ours")
            target.write_bytes(b"theirs")  # someone else's file, made meanwhile

    assert target.read_bytes() == b"theirs"
    assert names(tmp_path) == ["kpis.html"]


def test_a_symlink_that_appears_while_writing_is_neither_followed_nor_replaced(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    target = tmp_path / "out.jsonl"

    for force in (False, True):
        with pytest.raises(TargetRefused):
            with writing(target, force=force, private=True) as file:
                file.write(b"ours")
                target.symlink_to(victim)
        assert victim.read_bytes() == b"precious" and target.is_symlink()
        target.unlink()
    assert names(tmp_path) == ["victim"]


def test_a_public_file_is_0644_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o077)
    try:
        with writing(tmp_path / "schema.json", force=False, private=False) as file:
            file.write(b"{}")
    finally:
        os.umask(previous)

    assert stat.S_IMODE((tmp_path / "schema.json").stat().st_mode) == 0o644


def test_a_missing_directory_is_invalid_input_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        with writing(tmp_path / "missing" / "x", force=True, private=True):
            pytest.fail("the block must not run")
    assert names(tmp_path) == []
