"""Running the study's user-facing SQL (``sql/queries/*.sql``) exactly as a user would.

Each ``out.sync_*`` table but ``out.sync_rq3_tests`` (a chi-square test, computed by scipy in
``statistics.py``) is the result of the file of the same name, so the SQL someone runs with the
duckdb CLI is the SQL the asset ran. Parameters are DuckDB session variables
(``set variable x = ...``; read in the file with ``getvariable('x')``), which the CLI sets the
same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from orchestration.warehouse import SQL_DIR, Warehouse

QUERIES_DIR = SQL_DIR / "queries"


def query_path(table: str) -> Path:
    """``sql/queries/<name>.sql`` for ``out.<name>`` (or a bare name)."""
    name = table.split(".")[-1]
    path = QUERIES_DIR / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"no query file {path} for table {table}")
    return path


def run_query(warehouse: Warehouse, table: str, variables: Mapping[str, object] | None = None) -> pl.DataFrame:
    """The rows of ``sql/queries/<table>.sql`` with the given session variables set first."""
    sql = query_path(table).read_text()
    with warehouse.get_connection() as con:
        for name, value in (variables or {}).items():
            if not name.isidentifier():
                raise ValueError(f"invalid SQL variable name {name!r}")
            con.execute(f"set variable {name} = ?", [value])
        return con.sql(sql).pl()


def refresh_table(warehouse: Warehouse, table: str, variables: Mapping[str, object] | None = None) -> pl.DataFrame:
    """Replace all of ``table`` by its query's rows (read, then one write transaction)."""
    frame = run_query(warehouse, table, variables)
    warehouse.replace(table, {}, frame)
    return frame
