"""A Core SELECT run on the driver's own cursor, for the hottest read.

SQLAlchemy's statement path (execution context, events, result objects) cost more than
the database's own work for a verification's lookup, on SQLite and PostgreSQL alike
(docs/benchmarks.md). Here the statement is
still built with Core and compiled by SQLAlchemy for the connection's dialect, values go
through the columns' own bind and result processors, and a driver error is raised as
SQLAlchemy's (a lost connection invalidates it, as `Connection.execute` does), so rows
are what `Connection.execute(...).mappings().all()` gives, as plain dicts. `rows_many`
runs it for several parameter sets at once: on PostgreSQL in one round trip.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Select
from sqlalchemy.exc import DBAPIError

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    """The statement compiled for one dialect, with what it takes to run it."""

    sql: str
    positions: tuple[str, ...] | None
    """Parameter names in order for positional paramstyles (SQLite's qmark); None: named."""
    fixed: dict[str, Any]
    """Values compiled into the statement's own parameters (e.g. LIMIT)."""
    binds: Mapping[str, Processor]
    names: tuple[str, ...]
    results: tuple[Processor, ...]

    def processed(self, fetched: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        """Driver rows as dicts of column names to values through the result processors."""
        names, results = self.names, self.results
        return [
            {
                n: (v if p is None or v is None else p(v))
                for n, p, v in zip(names, results, row, strict=True)
            }
            for row in fetched
        ]

    def arguments(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = {**self.fixed, **params}
        for name, process in self.binds.items():
            if process is not None and values.get(name) is not None:
                values[name] = process(values[name])
        if self.positions is None:
            return values
        return [values[name] for name in self.positions]


class CompiledSelect:
    """`rows(conn, params)`: the query's rows as dicts, through the driver's cursor."""

    def __init__(self, query: Select[Any]) -> None:
        self.query = query
        self._plans: dict[tuple[str, str], _Plan] = {}
        """By (dialect, driver): the SQL and its paramstyle depend on both."""
        self._lock = threading.Lock()

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row, each a dict of the selected columns' names to processed values."""
        return self.rows_many(conn, [params])[0]

    def rows_many(
        self, conn: Connection, many: Sequence[Mapping[str, Any]]
    ) -> list[list[dict[str, Any]]]:
        """`rows` for each parameter set, in order; on psycopg in one round trip (pipeline
        mode: the statements are sent together and answered together)."""
        plan = self._plan(conn.dialect)
        dbapi_conn = conn.connection.dbapi_connection
        assert dbapi_conn is not None  # a checked-out connection
        arguments = [plan.arguments(params) for params in many]
        cursors = [dbapi_conn.cursor() for _ in arguments]
        try:
            pipelined = len(cursors) > 1 and hasattr(dbapi_conn, "pipeline")  # psycopg 3
            with dbapi_conn.pipeline() if pipelined else contextlib.nullcontext():
                for cursor, args in zip(cursors, arguments, strict=True):
                    cursor.execute(plan.sql, args)
            fetched = [cursor.fetchall() for cursor in cursors]
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(conn, plan.sql, arguments, exc, dbapi_conn, cursors[0]) from exc
        finally:
            for cursor in cursors:
                cursor.close()
        return [plan.processed(rows) for rows in fetched]

    def _plan(self, dialect: Dialect) -> _Plan:
        key = (dialect.name, dialect.driver)
        plan = self._plans.get(key)
        if plan is None:
            with self._lock:  # compiled once, even when threads ask together
                plan = self._plans.get(key)
                if plan is None:
                    plan = self._plans[key] = _compile(self.query, dialect)
        return plan


def _compile(query: Select[Any], dialect: Dialect) -> _Plan:
    compiled = query.compile(dialect=dialect)
    binds = {
        name: bind.type.dialect_impl(dialect).bind_processor(dialect)
        for name, bind in compiled.binds.items()
    }
    fixed = {k: v for k, v in compiled.params.items() if v is not None}
    columns = list(query.selected_columns)
    return _Plan(
        sql=str(compiled),
        positions=tuple(compiled.positiontup) if compiled.positiontup else None,
        fixed=fixed,
        binds=binds,
        names=tuple(query.selected_columns.keys()),
        results=tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        ),
    )


def _wrapped(
    conn: Connection,
    sql: str,
    arguments: Any,
    exc: Any,
    dbapi_conn: Any,
    cursor: Any,
) -> DBAPIError:
    """The driver's error as SQLAlchemy raises it; a lost connection is invalidated."""
    lost = conn.dialect.is_disconnect(exc, dbapi_conn, cursor)
    if lost:
        conn.invalidate(exc)
    error = DBAPIError.instance(
        sql, arguments, exc, conn.dialect.loaded_dbapi.Error, connection_invalidated=lost
    )
    assert isinstance(error, DBAPIError)  # a driver error always maps to one
    return error
