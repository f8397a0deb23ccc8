"""Whether a worker process forked from this one can help it."""

from __future__ import annotations

import multiprocessing
import os
import sys


def worker_can_help() -> bool:
    """On Linux (elsewhere a forked child may inherit system libraries in a state they do not
    support), with a second core in this process's affinity, and from a process that may start one
    (a daemonic process may not)."""
    daemonic = multiprocessing.current_process().daemon
    return sys.platform == "linux" and len(os.sched_getaffinity(0)) > 1 and not daemonic
