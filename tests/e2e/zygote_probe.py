"""A console-script entry point that reports the process it runs in (test_zygote.py).

`probe state` prints what a process inherits and starts with; `probe exit N`, `probe raise`,
`probe message`, `probe signal`, `probe streams N`, `probe sleep S` and `probe child` exercise
exit codes, pipes, the timeout and subprocesses; `probe taint` changes process state that the
next call must not see.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

CALLS = 0  # module state: a fresh process starts at 0


def state() -> dict[str, Any]:
    import __main__

    fds = sorted(os.listdir("/proc/self/fd"))
    umask = os.umask(0)
    os.umask(umask)
    return {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "argv": sys.argv,
        "main": getattr(__main__, "__file__", None),
        "path0": sys.path[0],
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "umask": umask,
        "stdin": os.readlink("/proc/self/fd/0"),
        "fds": len(fds),
        "threads": [threading.active_count(), len(os.listdir("/proc/self/task"))],
        "signals": {
            signal.Signals(number).name: repr(signal.getsignal(number))
            for number in signal.valid_signals()
            if number in set(signal.Signals)
        },
        "tempdir": tempfile.gettempdir(),
        "tzname": list(time.tzname),
        "streams": [
            (stream.isatty(), stream.line_buffering, stream.encoding, stream.errors)
            for stream in (sys.stdout, sys.stderr)
        ],
        "calls": CALLS,
    }


def main() -> int:
    global CALLS
    CALLS += 1
    command, *rest = sys.argv[1:]
    match command:
        case "state":
            print(json.dumps(state()))
        case "taint":
            os.environ["LEDGER_TAINTED"] = "1"
            os.chdir("/")
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            print(json.dumps(state()))
        case "exit":
            sys.exit(int(rest[0]))
        case "message":
            sys.exit("a message instead of a code")
        case "raise":
            raise RuntimeError("uncaught")
        case "signal":
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(10)
        case "streams":
            for line in range(int(rest[0])):
                print(f"out {line}")
                print(f"err {line}", file=sys.stderr)
        case "sleep":
            print(os.getpid(), flush=True)
            time.sleep(float(rest[0]))
        case "child":
            print(subprocess.run(["sh", "-c", "exit 5"], check=False).returncode)
    return 0
