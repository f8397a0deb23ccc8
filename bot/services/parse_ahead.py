"""JSON Lines read and validated a batch ahead by a worker process, while this process stores.

Validating an event and turning it into the driver's values costs about as much CPU as SQLite
takes to store it, so on a machine with a second core a worker does it for the next batches while
this process writes the current one. The worker hands back each event as the driver takes it
(plain tuples: cheap to pass between processes); line numbers, refusals and order are those of
``parse_json_lines``.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import stat
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain, islice
from typing import BinaryIO

from bot.services.event_input import Parsed, parse_json_lines
from bot.services.ingest_batch import prepared
from bot.services.schemas import Refusal
from storage.event_log import ReadyEvent, event_values

log = logging.getLogger(__name__)
AHEAD = 2  # batches the worker may have in hand: one being read, one waiting


def parsed_json_lines(source: BinaryIO, *, batch: int, dialect: str) -> Iterator[Parsed]:
    """``parse_json_lines`` of ``source``, each valid event ready for ``dialect``'s driver. A file
    of more than one ``batch`` of lines is read ahead by a worker process when there is a core to
    spare (a pipe is not: waiting for its next batch would hold back the one in hand)."""
    if not (_is_file(source) and _worker_can_help()):
        return _prepared_here(source, dialect)
    head = list(islice(source, batch))
    if len(head) < batch:
        return _prepared_here(head, dialect)
    return _read_ahead(chain(head, source), batch=batch, dialect=dialect)


def _prepared_here(lines: Iterable[bytes], dialect: str, *, first: int = 1) -> Iterator[Parsed]:
    values = event_values(dialect)
    return (prepared(item, values) for item in parse_json_lines(lines, first=first))


def _read_ahead(lines: Iterator[bytes], *, batch: int, dialect: str) -> Iterator[Parsed]:
    # fork: the worker starts at once with what this process has imported (a spawned one would
    # import everything again); it only parses, and never touches what it inherits.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=context, initializer=_settle_worker) as worker:
        pending: deque[tuple[Future[list[_Item]] | None, list[bytes], int]] = deque()
        first = 1
        while True:
            while len(pending) < AHEAD and (chunk := list(islice(lines, batch))):
                pending.append((_submitted(worker, chunk, first, dialect), chunk, first))
                first += len(chunk)
            if not pending:
                return
            future, chunk, start = pending.popleft()
            items = _result(future)
            if items is None:  # the worker died (killed, out of memory): the rest is read here
                log.warning("the worker reading ahead stopped; reading the rest of the file in this process")
                rest = chain(chunk, *(unread for _, unread, _ in pending), lines)
                yield from _prepared_here(rest, dialect, first=start)
                return
            for position, ready, refusals in items:
                yield Parsed(position, None, refusals, ready)


def _submitted(
    worker: ProcessPoolExecutor, chunk: list[bytes], first: int, dialect: str
) -> Future[list[_Item]] | None:
    try:
        return worker.submit(_parse_chunk, chunk, first, dialect)
    except BrokenProcessPool:
        return None


def _result(future: Future[list[_Item]] | None) -> list[_Item] | None:
    try:
        return None if future is None else future.result()
    except BrokenProcessPool:
        return None


_Item = tuple[int, ReadyEvent | None, Sequence[Refusal]]


def _parse_chunk(lines: list[bytes], first: int, dialect: str) -> list[_Item]:
    # Plain tuples: a tenth of the cost of pickling the Parsed objects themselves.
    values = event_values(dialect)
    ready = (prepared(item, values) for item in parse_json_lines(lines, first=first))
    return [(item.position, item.ready, item.refusals) for item in ready]


def _settle_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to report, not a traceback here
    # Never collect what was inherited: a database connection finalized here would roll back the
    # parent's transaction from a second process.
    gc.freeze()


def _is_file(source: BinaryIO) -> bool:
    try:
        return stat.S_ISREG(os.fstat(source.fileno()).st_mode)
    except (OSError, ValueError):
        return False


def _worker_can_help() -> bool:
    alone = multiprocessing.current_process().daemon  # a daemonic process may not start one
    return sys.platform == "linux" and len(os.sched_getaffinity(0)) > 1 and not alone
