"""JSON Lines read and validated a batch ahead by a worker process, while this process stores.

Validating an event and turning it into the driver's values costs about as much CPU as SQLite
takes to store it, so on a machine with a second core a worker does it for the next batches while
this process writes the current one. The worker hands back each batch ready for the driver (plain
tuples: cheap to pass between processes); line numbers, refusals and results are those of reading
the file here.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import stat
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain, islice
from typing import BinaryIO

from bot.services.event_input import parse_json_lines
from bot.services.ingest_batch import ReadyBatch, batches_of
from bot.services.spare_core import worker_can_help
from storage.event_log import event_values

log = logging.getLogger(__name__)
AHEAD = 2  # batches the worker may have in hand: one being read, one waiting


def ready_batches(source: BinaryIO, *, batch: int, dialect: str) -> Iterator[ReadyBatch]:
    """The JSON Lines of ``source`` in batches of ``batch`` events, ready for ``dialect``'s driver.
    A file of more than one batch is read ahead by a worker process when there is a core to spare,
    in batches of ``batch`` lines (a pipe is not: waiting for its next batch would hold back the
    one in hand)."""
    if not (_is_file(source) and worker_can_help()):
        return _here(source, batch=batch, dialect=dialect)
    head = list(islice(source, batch))
    if len(head) < batch:
        return _here(head, batch=batch, dialect=dialect)
    return _read_ahead(chain(head, source), batch=batch, dialect=dialect)


def _here(lines: Iterable[bytes], *, batch: int, dialect: str, first: int = 1) -> Iterator[ReadyBatch]:
    return batches_of(parse_json_lines(lines, first=first), size=batch, values=event_values(dialect))


def _read_ahead(lines: Iterator[bytes], *, batch: int, dialect: str) -> Iterator[ReadyBatch]:
    # fork: the worker starts at once with what this process has imported (a spawned one would
    # import everything again); it only parses, and never touches what it inherits.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=context, initializer=_settle_worker) as worker:
        pending: deque[tuple[Future[ReadyBatch] | None, list[bytes], int]] = deque()
        first, size = 1, max(1, batch // 10)  # a small first batch: writing starts sooner
        while True:
            while len(pending) < AHEAD and (chunk := list(islice(lines, size))):
                pending.append((_submitted(worker, chunk, first, dialect), chunk, first))
                first, size = first + len(chunk), batch
            if not pending:
                return
            future, chunk, start = pending.popleft()
            ready = _result(future)
            if ready is None:  # the worker died (killed, out of memory): the rest is read here
                log.warning("the worker reading ahead stopped; reading the rest of the file in this process")
                rest = chain(chunk, *(unread for _, unread, _ in pending), lines)
                yield from _here(rest, batch=batch, dialect=dialect, first=start)
                return
            yield ready


def _submitted(
    worker: ProcessPoolExecutor, chunk: list[bytes], first: int, dialect: str
) -> Future[ReadyBatch] | None:
    try:
        return worker.submit(_ready_chunk, chunk, first, dialect)
    except BrokenProcessPool:
        return None


def _result(future: Future[ReadyBatch] | None) -> ReadyBatch | None:
    try:
        return None if future is None else future.result()
    except BrokenProcessPool:
        return None


def _ready_chunk(lines: list[bytes], first: int, dialect: str) -> ReadyBatch:
    return ReadyBatch.of(parse_json_lines(lines, first=first), event_values(dialect))


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
