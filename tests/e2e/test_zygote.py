"""The fork server of the e2e tests keeps its promise: each forked call is the process a fresh
`script ARGS...` would be (same exit codes, pipes, directory, umask, environment, signals),
nothing leaks from one call to the next, a timeout kills the child, and when it cannot serve,
a plain subprocess does. Every check compares a forked call with a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from waiting import wait_until

from .support import RUNNER, Ledger, clean_env
from .zygote_client import Finished, ForkServer, Runner, ZygoteUnavailable

TESTS = str(Path(__file__).parents[1])  # where `e2e.zygote_probe` is importable from
PROBE_ENTRY = "e2e.zygote_probe:main"
SCRIPT = f"""#!{sys.executable}
import sys
sys.path.append({TESTS!r})
from e2e.zygote_probe import main
if __name__ == "__main__":
    sys.exit(main())
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A console script, as pip writes them, for the probe entry point."""
    script = tmp_path_factory.mktemp("bin") / "probe"
    script.write_text(SCRIPT)
    script.chmod(0o755)
    return script


@pytest.fixture(scope="module")
def zygote(probe: Path) -> Iterator[ForkServer]:
    server = ForkServer.start(str(probe), clean_env(), PROBE_ENTRY, [TESTS])
    try:
        yield server
    finally:
        server.close()


def fresh(probe: Path, args: list[str], cwd: Path, env: dict[str, str]) -> Finished:
    done = subprocess.run(
        [str(probe), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=60
    )
    return Finished(done.returncode, done.stdout, done.stderr)


def state(done: Finished) -> dict[str, Any]:
    assert done.code == 0, done
    reported: dict[str, Any] = json.loads(done.stdout)
    return reported


def without_ids(reported: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in reported.items() if key not in ("pid", "ppid")}


def test_a_forked_call_starts_as_a_fresh_process_would(
    zygote: ForkServer, probe: Path, tmp_path: Path
) -> None:
    env = clean_env(TZ="America/New_York", TMPDIR=str(tmp_path), LEDGER_SETTING="on")
    previous = os.umask(0o027)
    try:
        forked = state(zygote.run(["state"], tmp_path, env, 30))
        started = state(fresh(probe, ["state"], tmp_path, env))
    finally:
        os.umask(previous)

    assert without_ids(forked) == without_ids(started)
    assert forked["umask"] == 0o027 and forked["tzname"][0] == "EST"
    assert forked["stdin"] == "/dev/null" and forked["threads"] == [1, 1]
    assert forked["pid"] not in (zygote.process.pid, os.getpid())
    assert forked["ppid"] == zygote.process.pid  # the fork server did run it


def test_nothing_a_call_changes_reaches_the_next(
    zygote: ForkServer, probe: Path, tmp_path: Path
) -> None:
    first = state(zygote.run(["taint"], tmp_path, clean_env(LEDGER_FIRST="1"), 30))
    second = state(zygote.run(["state"], tmp_path, clean_env(), 30))

    assert first["env"]["LEDGER_TAINTED"] == "1" and first["cwd"] == "/"
    assert "LEDGER_FIRST" not in second["env"] and "LEDGER_TAINTED" not in second["env"]
    assert second["cwd"] == str(tmp_path) and second["calls"] == 1
    assert second["pid"] != first["pid"]
    assert without_ids(second) == without_ids(state(fresh(probe, ["state"], tmp_path, clean_env())))


@pytest.mark.parametrize(
    "args",
    [["exit", "0"], ["exit", "3"], ["exit", "258"], ["message"], ["raise"], ["signal"], ["child"]],
    ids=lambda args: "-".join(args),
)
def test_exit_codes_and_output_are_those_of_a_fresh_process(
    zygote: ForkServer, probe: Path, tmp_path: Path, args: list[str]
) -> None:
    forked = zygote.run(args, tmp_path, clean_env(), 30)
    started = fresh(probe, args, tmp_path, clean_env())

    assert forked.code == started.code, (forked, started)
    assert forked.stdout == started.stdout
    last = [done.stderr.strip().splitlines()[-1:] for done in (forked, started)]
    assert last[0] == last[1]  # a traceback's frames differ; its last line does not


def test_stdout_and_stderr_stay_apart_and_whole(
    zygote: ForkServer, probe: Path, tmp_path: Path
) -> None:
    forked = zygote.run(["streams", "30000"], tmp_path, clean_env(), 30)

    assert forked == fresh(probe, ["streams", "30000"], tmp_path, clean_env())
    assert forked.stdout.count("out ") == forked.stderr.count("err ") == 30000


def test_a_timeout_kills_the_child(zygote: ForkServer, tmp_path: Path) -> None:
    with pytest.raises(subprocess.TimeoutExpired) as raised:
        zygote.run(["sleep", "120"], tmp_path, clean_env(), 2)

    pid = int(str(raised.value.output))
    # not this process's child, so not one to wait for: look until it is gone
    wait_until(lambda: not Path(f"/proc/{pid}").exists(), "the child to die after its timeout")
    assert state(zygote.run(["state"], tmp_path, clean_env(), 30))["calls"] == 1


def test_a_zygote_that_cannot_start_says_so(probe: Path) -> None:
    with pytest.raises(ZygoteUnavailable):
        ForkServer.start(str(probe), clean_env(), "e2e.zygote_probe:absent", [TESTS])


def test_the_runner_falls_back_to_subprocesses_and_warns_once(probe: Path, tmp_path: Path) -> None:
    runner = Runner([str(probe)], "e2e.zygote_probe:absent", [TESTS])
    with pytest.warns(UserWarning, match="no fork server"):
        first = runner.run(["state"], tmp_path, clean_env(), 30, fresh=False)
    second = runner.run(["exit", "3"], tmp_path, clean_env(), 30, fresh=False)

    assert state(first)["ppid"] == os.getpid() and second.code == 3


def test_the_runner_starts_a_fresh_interpreter_where_start_up_reads_the_variable(
    zygote: ForkServer, probe: Path, tmp_path: Path
) -> None:
    runner = Runner([str(probe)], PROBE_ENTRY, [TESTS])
    runner.server = zygote
    forked = state(runner.run(["state"], tmp_path, clean_env(TZ="UTC"), 30, fresh=False))
    hashed = clean_env(PYTHONHASHSEED="7")
    started = state(runner.run(["state"], tmp_path, hashed, 30, fresh=False))
    asked = state(runner.run(["state"], tmp_path, clean_env(), 30, fresh=True))

    assert forked["ppid"] == zygote.process.pid
    assert started["ppid"] == os.getpid() and started["env"]["PYTHONHASHSEED"] == "7"
    assert asked["ppid"] == os.getpid()


@pytest.mark.parametrize(
    "args",
    [["--help"], ["request", "--help"], ["nosuch"], ["--db", "sqlite:////no/such/l.db", "list"]],
    ids=["help", "request-help", "unknown-command", "bad-database"],
)
def test_the_ledger_answers_through_the_fork_server_as_from_a_fresh_start(
    tmp_path: Path, args: list[str]
) -> None:
    ledger = Ledger("sqlite:///unused.db", tmp_path)
    forked = ledger.run(*args, db=False)
    if os.environ.get("LEDGER_TESTS_SUBPROCESS") != "1":
        assert RUNNER.server is not None, "the e2e tests run without their fork server"

    assert forked == ledger.run(*args, db=False, fresh=True)
