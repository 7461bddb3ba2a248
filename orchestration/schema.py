"""The warehouse's schema, from its only source: ``sql/ddl`` (tables) and ``sql/views`` (views).

On a DuckDB file the files run as they are (:func:`apply_schema`). DuckLake refuses primary keys,
unique, foreign key and check constraints, so on a lake the same files are first applied to a
private in-memory database, the *reference*, and the lake is brought level with it by
:func:`sync_lake` from what DuckDB reports about the reference: its schemas, its tables' columns
(``duckdb_columns()``: name, type, NOT NULL), the rows the DDL seeds (the taxonomy, the pattern
catalogs) and its views. No second copy of the schema exists; the constraints are checked by
blocking asset checks instead (``orchestration/constraints.py``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.lake import LAKE_ALIAS, WarehouseConfigError, in_transaction, retry_conflicts

ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = ROOT / "sql"
REFERENCE = "hubscope_ddl"
"""The in-memory database the DDL is applied to on the way to a lake."""


def sql_files(folder: str) -> list[Path]:
    """The ``.sql`` files of one ``sql/`` sub-folder, in the order they must run."""
    return sorted((SQL_DIR / folder).glob("*.sql"))


def apply_schema(con: duckdb.DuckDBPyConnection, folders: Sequence[str] = ("ddl", "views")) -> None:
    """Run every file of ``sql/ddl`` then ``sql/views`` in the current database (idempotent).

    Relative file paths in the DDL (e.g. ``read_json('assets/label/taxonomy.json')``) resolve
    against the project root, whatever the process's working directory.
    """
    con.execute(f"set file_search_path = '{ROOT.as_posix()}'")
    try:
        for folder in folders:
            for path in sql_files(folder):
                con.execute(path.read_text())
    finally:
        con.execute("reset file_search_path")


def _ident(*parts: str) -> str:
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> dict[tuple[str, str], list[tuple[str, str, bool]]]:
    """``(schema, table) -> [(column, type, nullable), ...]`` of the base tables of ``database``, in column order."""
    rows = con.execute(
        "select c.schema_name, c.table_name, c.column_name, c.data_type, c.is_nullable "
        "from duckdb_columns() c join duckdb_tables() t "
        "  on t.database_name = c.database_name and t.schema_name = c.schema_name and t.table_name = c.table_name "
        "where c.database_name = ? order by c.schema_name, c.table_name, c.column_index", [database]).fetchall()
    tables: dict[tuple[str, str], list[tuple[str, str, bool]]] = {}
    for schema, table, column, kind, nullable in rows:
        tables.setdefault((schema, table), []).append((column, kind, nullable))
    return tables


def _views(con: duckdb.DuckDBPyConnection, database: str) -> dict[tuple[str, str], tuple[str, str | None]]:
    """``(schema, view) -> (its query, its comment)``; the query without DuckDB's ``CREATE VIEW <name> AS`` head,
    which names the view differently per catalog."""
    rows = con.execute("select schema_name, view_name, sql, comment from duckdb_views() "
                       "where database_name = ? and not internal", [database]).fetchall()
    return {(s, v): (sql.split(" AS ", 1)[1], comment) for s, v, sql, comment in rows}


def sync_lake(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Bring the lake attached as ``lake`` level with ``sql/`` in one transaction; return what changed.

    Creates missing schemas and tables (constraints stripped: the reference's columns with their types
    and NOT NULL), adds columns the DDL gained, replaces seeded rows that differ and re-runs
    ``sql/views`` when a view differs. A column whose type changed is an error naming it: DuckLake
    alters types in place only for promotions, which a person should choose. Processes starting
    together may race to create the same tables: the loser's commit conflicts and its re-run finds them.
    """
    con.execute(f"attach ':memory:' as {REFERENCE}")
    try:
        con.execute(f"use {REFERENCE}")
        apply_schema(con)  # in its own transactions: a transaction writes to one database only
        con.execute(f"use {LAKE_ALIAS}")
        return retry_conflicts(lambda: in_transaction(con, _level), "schema of the lake")
    finally:
        con.execute(f"use {LAKE_ALIAS}")
        con.execute(f"detach {REFERENCE}")


def _level(con: duckdb.DuckDBPyConnection) -> list[str]:
    changes: list[str] = []
    schemas = "select schema_name from duckdb_schemas() where database_name = ? and not internal"
    lake_schemas = {s for (s,) in con.execute(schemas, [LAKE_ALIAS]).fetchall()}
    for (schema,) in con.execute(schemas, [REFERENCE]).fetchall():
        if schema not in lake_schemas:
            con.execute(f"create schema {_ident(LAKE_ALIAS, schema)}")
            changes.append(f"schema {schema}")
    reference, lake = _tables(con, REFERENCE), _tables(con, LAKE_ALIAS)
    for (schema, table), columns in reference.items():
        name = _ident(LAKE_ALIAS, schema, table)
        present = {c: kind for c, kind, _ in lake.get((schema, table), [])}
        if (schema, table) not in lake:
            body = ", ".join(f"{_ident(c)} {kind}{'' if nullable else ' not null'}" for c, kind, nullable in columns)
            con.execute(f"create table {name} ({body})")
            changes.append(f"table {schema}.{table}")
            continue
        for column, kind, _ in columns:
            if column not in present:
                con.execute(f"alter table {name} add column {_ident(column)} {kind}")
                changes.append(f"column {schema}.{table}.{column}")
            elif present[column] != kind:
                raise WarehouseConfigError(
                    f"the lake's {schema}.{table}.{column} is {present[column]} but sql/ddl makes it {kind}: "
                    f"alter it on the lake by hand (alter table {schema}.{table} alter {column} ...) or rebuild the lake")
    for (schema, table), columns in reference.items():
        source = _ident(REFERENCE, schema, table)
        if not con.execute(f"select count(*) from {source}").fetchone()[0]:
            continue
        names = ", ".join(_ident(c) for c, _, _ in columns)
        target = _ident(LAKE_ALIAS, schema, table)
        (differ,) = con.execute(
            f"select count(*) from ((select {names} from {source} except all select {names} from {target}) "
            f"union all (select {names} from {target} except all select {names} from {source}))").fetchone()
        if differ:
            con.execute(f"delete from {target}")
            con.execute(f"insert into {target} ({names}) select {names} from {source}")
            changes.append(f"rows of {schema}.{table}")
    if _views(con, REFERENCE) != _views(con, LAKE_ALIAS):
        apply_schema(con, folders=("views",))
        changes.append("views")
    return changes


@dataclass(frozen=True)
class Constraint:
    """One constraint ``sql/ddl`` declares, as DuckDB reports it (``duckdb_constraints()``)."""

    table: str
    """``schema.table``."""
    kind: str
    """``PRIMARY KEY``, ``UNIQUE``, ``FOREIGN KEY`` or ``CHECK`` (NOT NULL is left out: DuckLake enforces it)."""
    columns: tuple[str, ...]
    text: str
    """DuckDB's text of it, e.g. ``CHECK((platform IN ('github', 'hub')))``."""
    expression: str | None = None
    """A CHECK's condition."""
    references: str | None = None
    """A FOREIGN KEY's parent, ``schema.table``."""
    referenced_columns: tuple[str, ...] = ()


_REFERENCES = re.compile(r'REFERENCES\s+(?:"?([^".(\s]+)"?\.)?"?([^".(\s]+)"?\s*\(', re.IGNORECASE)


@functools.cache
def _ddl_facts() -> tuple[tuple[Constraint, ...], dict[str, tuple[str, ...]]]:
    """What an in-memory database that ``sql/ddl`` was applied to reports: its constraints and its tables' columns."""
    con = duckdb.connect()
    try:
        apply_schema(con, folders=("ddl",))
        rows = con.execute(
            "select schema_name, table_name, constraint_type, constraint_column_names, constraint_text, expression, "
            "referenced_column_names from duckdb_constraints() "
            "where database_name = current_database() and constraint_type <> 'NOT NULL' "
            "order by schema_name, table_name, constraint_index").fetchall()
        columns = {f"{schema}.{table}": tuple(c for c, _, _ in cols) for (schema, table), cols in _tables(con, "memory").items()}
    finally:
        con.close()
    found = []
    for schema, table, kind, names, text, expression, referenced in rows:
        parent = None
        if kind == "FOREIGN KEY":
            match = _REFERENCES.search(text)
            parent = f"{match[1] or schema}.{match[2]}"
        found.append(Constraint(f"{schema}.{table}", kind, tuple(names), text,
                                expression if kind == "CHECK" else None, parent, tuple(referenced or ())))
    return tuple(found), columns


def ddl_constraints() -> tuple[Constraint, ...]:
    """Every key, foreign key and check constraint of ``sql/ddl``."""
    return _ddl_facts()[0]


def ddl_columns() -> dict[str, tuple[str, ...]]:
    """``schema.table -> its columns`` as ``sql/ddl`` makes them."""
    return _ddl_facts()[1]


def primary_key(table: str) -> tuple[str, ...]:
    """The primary key columns of ``table`` (``schema.table``) as ``sql/ddl`` declares them; () when it has none."""
    return next((c.columns for c in ddl_constraints() if c.table == table and c.kind == "PRIMARY KEY"), ())
