"""Drive clients: a closed loop (as fast as each client goes) and an open loop (a fixed rate).

A client is a context manager that yields a step function. In the closed loop each client
thread calls its step again as soon as the last one returned; in the open loop a scheduler
puts slot i on a queue at `start + i / rate`, a pool of threads runs the slots, and each
latency counts from the slot's scheduled time, so a slow command delays the ones queued
behind it and they all count (no coordinated omission).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

Client = Callable[[int], AbstractContextManager[Callable[[int], object]]]
WARMUP_STEPS = 12


def closed_loop(clients: int, seconds: float, client: Client) -> float:
    """Steps per second of `clients` threads, each running `client(i)`'s step in a loop."""
    ready = threading.Barrier(clients + 1)
    stop = threading.Event()
    counts = [0] * clients
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            with client(index) as step:
                for n in range(WARMUP_STEPS):
                    step(n)
                ready.wait()
                done = 0
                while not stop.is_set():
                    step(WARMUP_STEPS + done)
                    done += 1
                counts[index] = done
        except threading.BrokenBarrierError:
            pass
        except BaseException as error:
            errors.append(error)
            ready.abort()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        pass
    started = time.perf_counter()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return sum(counts) / elapsed


def open_loop(rate: float, seconds: float, workers: int, client: Client) -> list[float]:
    """Latencies (ms, from each slot's scheduled time) of `rate * seconds` slots run by
    `workers` threads; `client(worker)` yields the function that runs slot i."""
    slots: queue.SimpleQueue[tuple[int, float] | None] = queue.SimpleQueue()
    latencies: list[float] = []
    errors: list[BaseException] = []
    ready = threading.Barrier(workers + 1)

    def work(index: int) -> None:
        try:
            with client(index) as run:
                ready.wait()
                while (slot := slots.get()) is not None:
                    number, due = slot
                    run(number)
                    latencies.append((time.perf_counter() - due) * 1000)
        except threading.BrokenBarrierError:
            pass
        except BaseException as error:
            errors.append(error)
            ready.abort()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    try:
        ready.wait()
        start = time.perf_counter() + 0.01
        for number in range(int(rate * seconds)):
            if errors:
                break
            due = start + number / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            slots.put((number, due))
    except threading.BrokenBarrierError:
        pass
    finally:
        for _ in threads:
            slots.put(None)
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return latencies
