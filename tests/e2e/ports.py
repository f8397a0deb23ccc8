"""Loopback ports for ``handoff serve`` processes, which must be told their port before they bind it.

A port the OS picks (bind to port 0) is free only until the probe closes: the OS may hand the same
port to another test process before ``serve`` binds it, and that process's server would then answer
this test's requests. So each test process (pytest-xdist worker) takes its ports, in turn, from a
block of its own below the OS's ephemeral range, where the OS hands out none.
"""

from __future__ import annotations

import itertools
import os
import random
import socket

FIRST_PORT = 20_000  # the blocks end below 32768, where Linux's ephemeral range starts by default
PORTS_PER_PROCESS = 200
BLOCKS = 60


def _block() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # gw0, gw1, … (gw0 without xdist)
    index = int(worker.removeprefix("gw") or 0) % BLOCKS
    start = FIRST_PORT + index * PORTS_PER_PROCESS
    return range(start, start + PORTS_PER_PROCESS)


_BLOCK = _block()
# A random start: two test sessions at once on one machine rarely walk the same ports together.
_turns = itertools.count(random.randrange(PORTS_PER_PROCESS))


def free_port() -> int:
    """The next port of this process's block that nobody listens on now."""
    for _ in range(PORTS_PER_PROCESS):
        port = _BLOCK[next(_turns) % PORTS_PER_PROCESS]
        if _can_bind(port):
            return port
    raise AssertionError(f"no free loopback port in {_BLOCK}")


def _can_bind(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
