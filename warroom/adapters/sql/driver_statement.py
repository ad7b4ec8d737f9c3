"""A Core statement that, on SQLite, runs on the driver's own cursor: for the few statements
every edit runs (read the incident and the update cadence's facts, add an event, clear
drafts, log the change).

SQLAlchemy still writes the SQL (compiled once) and converts each value and column as Core
would, with the types' own conversions; the connection stays SQLAlchemy's. A transaction is
begun through Core when none is open, Core's or one begun on the driver beneath it (the
local file's kept writer begins its writes there: `commit` below ends either). What is
skipped is Core's bookkeeping around each execution: 40-110 µs a statement on a 2-CPU VM,
where SQLite itself takes 3-10 µs, and most of what a note cost. A driver error is raised
as the SQLAlchemy error Core would raise.

On PostgreSQL the statement goes through Core as usual: there each statement crosses the
network, and Core's handling of a lost connection (taking it out of the pool) is worth its
cost."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Delete, Insert, Select, Update
from sqlalchemy.types import TypeEngine

from warroom.adapters.sql.mapping import parse_stored_time
from warroom.adapters.sql.types import UTCDateTime

Converter = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class Written:
    """What a driver-run INSERT, UPDATE or DELETE did."""

    rowcount: int  # the rows an UPDATE or DELETE matched
    inserted_key: int | None  # an INSERT's new row id


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the bound values, in the order the SQL takes them
    # (place, conversion as Core would make it) of each bound value, and of each result
    # column (a select), that needs one: most need none
    binds: tuple[tuple[int, Callable[[Any], Any]], ...]
    columns: tuple[tuple[int, Callable[[Any], Any]], ...]


class DriverStatement:
    """`statement`, run on SQLite's cursor. An INSERT names the columns it sets
    (`columns`): the SQL is compiled for exactly those."""

    def __init__(
        self, statement: Select[Any] | Insert | Update | Delete, columns: Sequence[str] = ()
    ) -> None:
        self.statement = statement
        self._columns = tuple(columns)
        self._compiled: _Compiled | None = None  # for SQLite, made on first use

    def first(self, connection: Connection, parameters: Mapping[str, Any]) -> Sequence[Any] | None:
        if connection.dialect.name != "sqlite":
            return connection.execute(self.statement, parameters).first()
        compiled = self._for(connection.dialect)
        cursor = _run(connection, compiled, parameters)
        row = cursor.fetchone()
        cursor.close()  # the rest of the result is not wanted: SQLite may let go of it now
        return None if row is None else _converted(row, compiled.columns)

    def all(self, connection: Connection, parameters: Mapping[str, Any]) -> list[Sequence[Any]]:
        if connection.dialect.name != "sqlite":
            return list(connection.execute(self.statement, parameters).all())
        compiled = self._for(connection.dialect)
        rows = _run(connection, compiled, parameters).fetchall()
        if not compiled.columns:
            return rows
        return [_converted(row, compiled.columns) for row in rows]

    def write(self, connection: Connection, parameters: Mapping[str, Any]) -> Written:
        if connection.dialect.name != "sqlite":
            result = connection.execute(self.statement, parameters)
            key = result.inserted_primary_key if isinstance(self.statement, Insert) else None
            return Written(result.rowcount, None if key is None else int(key[0]))
        cursor = _run(connection, self._for(connection.dialect), parameters)
        inserted = cursor.lastrowid if isinstance(self.statement, Insert) else None
        return Written(cursor.rowcount, inserted)

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = _compile(self.statement, self._columns, dialect)
        return compiled


def _compile(statement: Any, columns: tuple[str, ...], dialect: Dialect) -> _Compiled:
    options = {"column_keys": list(columns)} if columns else {}
    compiled = statement.compile(dialect=dialect, **options)
    assert compiled.positional and "RETURNING" not in compiled.string, compiled.string
    names = tuple(compiled.positiontup or ())
    binds = [_bind_converter(compiled.binds[name].type, dialect) for name in names]
    selected = getattr(statement, "selected_columns", ())
    results = [_result_converter(column.type, dialect) for column in selected]
    return _Compiled(compiled.string, names, _needed(binds), _needed(results))


def _needed(converters: list[Converter]) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    return tuple((at, convert) for at, convert in enumerate(converters) if convert is not None)


# A time column's conversions, called directly: the type's own methods, without the
# wrappers TypeDecorator puts around them.
def _bind_converter(kind: TypeEngine[Any], dialect: Dialect) -> Converter:
    if isinstance(kind, UTCDateTime):
        return lambda value: kind.process_bind_param(value, dialect)
    return kind.dialect_impl(dialect).bind_processor(dialect)


def _result_converter(kind: TypeEngine[Any], dialect: Dialect) -> Converter:
    if isinstance(kind, UTCDateTime):
        return parse_stored_time  # _converted passes None over
    return kind.dialect_impl(dialect).result_processor(dialect, None)


def _run(
    connection: Connection, compiled: _Compiled, parameters: Mapping[str, Any]
) -> sqlite3.Cursor:
    values = [parameters[name] for name in compiled.names]
    for at, convert in compiled.binds:
        values[at] = convert(values[at])
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    if not driver.in_transaction and not connection.in_transaction():
        connection.begin()  # as Core's autobegin: the engine's listener opens it
    try:
        return driver.execute(compiled.sql, values)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(compiled.sql, values, exc, sqlite3.Error) from exc


def _converted(
    row: Sequence[Any], columns: tuple[tuple[int, Callable[[Any], Any]], ...]
) -> list[Any]:
    values = list(row)
    for at, convert in columns:
        value = values[at]
        if value is not None:
            values[at] = convert(value)
    return values


def commit(connection: Connection) -> None:
    """Commits the connection's transaction: Core's, or on SQLite one begun on the driver
    beneath it (the kept writer's), which Core does not know of."""
    if connection.in_transaction() or connection.dialect.name != "sqlite":
        connection.commit()
        return
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    if driver.in_transaction:
        try:
            driver.commit()
        except sqlite3.Error as exc:
            raise DBAPIError.instance("COMMIT", (), exc, sqlite3.Error) from exc
