"""A Ctrl-C is reported as one: never masked by the session it interrupted, never between a batch's
commit and its count."""

from __future__ import annotations

import os
import signal

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from bot.entrypoints.cli_runtime import ctrl_c_held
from storage.uow import UnitOfWork


def commit_one_select(sessions: sessionmaker[Session]) -> None:
    with UnitOfWork(sessions) as uow:
        uow.session.execute(text("SELECT 1"))
        uow.commit()


def test_a_ctrl_c_inside_commit_leaves_the_unit_of_work_as_a_ctrl_c() -> None:
    sessions = sessionmaker(create_engine("sqlite://"))

    @event.listens_for(sessions, "after_commit")
    def interrupted(_session: Session) -> None:
        raise KeyboardInterrupt  # committed, and the session not yet closed

    with pytest.raises(KeyboardInterrupt):
        commit_one_select(sessions)


def interrupted_while_held(done: list[str]) -> None:
    with ctrl_c_held():
        os.kill(os.getpid(), signal.SIGINT)
        done.append("the rest of the block")


def test_a_ctrl_c_in_a_held_block_is_raised_once_the_block_is_done() -> None:
    done: list[str] = []

    with pytest.raises(KeyboardInterrupt):
        interrupted_while_held(done)

    assert done == ["the rest of the block"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_ctrl_c_ignored_stays_ignored_in_a_held_block() -> None:
    done: list[str] = []
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        interrupted_while_held(done)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)

    assert done == ["the rest of the block"]
