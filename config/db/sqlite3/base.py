"""SQLite, keeping a few open connections for the next request instead of closing them.

Every request ends by closing its database connection (CONN_MAX_AGE 0, and under Django's own ASGI handler each
request has a new thread, and connections are per thread), so every request opened a connection: for SQLite about 1.5 to 3 ms (opening the file,
registering Django's SQL functions, the WAL pragmas), more than the rest of a cached page. PostgreSQL has
Django's own pool (settings: OPTIONS "pool", psycopg_pool); SQLite has none, hence this small one.

A connection is handed back only outside any transaction (an open one is rolled back first), and is used by one
thread at a time (Django opens SQLite connections with check_same_thread=False and guards sharing itself).
In-memory databases are never pooled: closing one is ignored by Django already.
Settings: ENGINE "config.db.sqlite3"; OPTIONS "pool_size" (default 8 per database file and process).
"""

from __future__ import annotations

import threading

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _idle: dict[str, list] = {}  # database file -> idle connections (this process)
    _idle_lock = threading.Lock()

    def get_connection_params(self) -> dict:
        params = dict(self.settings_dict.get("OPTIONS", {}))
        self.pool_size = int(params.pop("pool_size", 8))
        self.settings_dict = {**self.settings_dict, "OPTIONS": params}
        return super().get_connection_params()

    def _pool_key(self) -> str | None:
        return None if self.is_in_memory_db() else str(self.settings_dict["NAME"])

    def get_new_connection(self, conn_params):
        key = self._pool_key()
        if key is not None:
            with self._idle_lock:
                idle = self._idle.get(key)
                if idle:
                    return idle.pop()
        return super().get_new_connection(conn_params)

    def _close(self) -> None:
        connection, key = self.connection, self._pool_key()
        if connection is None or key is None:
            return super()._close()
        with self.wrap_database_errors:
            if connection.in_transaction:
                connection.rollback()
            with self._idle_lock:
                idle = self._idle.setdefault(key, [])
                if len(idle) < self.pool_size:
                    idle.append(connection)
                    return None
            return connection.close()
