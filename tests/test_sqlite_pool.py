"""config.db.sqlite3: connections kept for the next request, never with a transaction open, never beyond the pool."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

from config.db.sqlite3.base import DatabaseWrapper


@pytest.fixture(autouse=True)
def _unblocked(django_db_blocker):
    """These tests make their own throwaway databases, not the test database pytest-django guards."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def handler(tmp_path: Path):
    path = tmp_path / "pool.sqlite3"
    connections = ConnectionHandler({"default": {"ENGINE": "config.db.sqlite3", "NAME": str(path),
                                                 "OPTIONS": {"pool_size": 2, "init_command": "PRAGMA journal_mode=WAL"}}})
    yield connections
    for connection in DatabaseWrapper._idle.pop(str(path), []):
        connection.close()


def in_thread(handler, work):
    """Run `work(wrapper)` on a new thread, as Django's ASGI handler runs each request, and return its result."""
    result = {}

    def run():
        wrapper = handler["default"]
        try:
            result["value"] = work(wrapper)
        finally:
            wrapper.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return result["value"]


def test_a_closed_connection_serves_the_next_thread(handler):
    first = in_thread(handler, lambda db: (db.ensure_connection(), id(db.connection))[1])
    second = in_thread(handler, lambda db: (db.ensure_connection(), id(db.connection))[1])
    assert first == second
    with handler["default"].cursor() as cursor:  # a pooled connection still works, with Django's functions
        cursor.execute("SELECT LPAD('7', 3, '0')")
        assert cursor.fetchone()[0] == "007"


def test_an_open_transaction_is_rolled_back_before_the_connection_is_kept(handler):
    def write_without_commit(db):
        with db.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS note (text TEXT)")
        raw = db.connection
        raw.execute("BEGIN")
        raw.execute("INSERT INTO note VALUES ('never committed')")
        assert raw.in_transaction
        return id(raw)

    written = in_thread(handler, write_without_commit)

    def read(db):
        db.ensure_connection()
        assert not db.connection.in_transaction
        with db.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM note")
            return id(db.connection), cursor.fetchone()[0]

    reused, count = in_thread(handler, read)
    assert reused == written and count == 0


def test_no_more_than_pool_size_connections_are_kept(handler, tmp_path):
    barrier = threading.Barrier(3)
    threads = []

    def hold():
        wrapper = handler["default"]
        wrapper.ensure_connection()
        barrier.wait()  # three connections open at once
        wrapper.close()

    for _ in range(3):
        threads.append(threading.Thread(target=hold))
        threads[-1].start()
    for thread in threads:
        thread.join()
    assert len(DatabaseWrapper._idle[str(tmp_path / "pool.sqlite3")]) == 2


def test_in_memory_databases_are_not_pooled():
    connections = ConnectionHandler({"default": {"ENGINE": "config.db.sqlite3", "NAME": ":memory:"}})
    wrapper = connections["default"]
    wrapper.ensure_connection()
    wrapper.close()
    assert ":memory:" not in DatabaseWrapper._idle
