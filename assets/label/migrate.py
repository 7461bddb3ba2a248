"""Drop labels made under another taxonomy: ``python -m assets.label.migrate [DATABASE]``.

Why a command and not an automatic step: ``sql/ddl/020_label.sql`` refuses a warehouse whose
``core.taxonomy`` predates the current taxonomy (no ``is_category`` column, or keys that
``taxonomy.json`` no longer has), because such labels must not survive silently and DuckDB can
neither add a NOT NULL column to, nor delete keys from, a table that foreign keys reference. The
label tables are cheap to recompute (rules) or worthless under a new taxonomy (LLM answers to an
old prompt), but dropping an LLM cache is the user's call, so the schema names this command and
this command does the one thing it says: drop the five label tables in one transaction, then
re-create them from the current DDL. Nothing outside the label stage is touched.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from orchestration.warehouse import DEFAULT_DB, apply_schema

LABEL_TABLES = ("core.gold_predictions", "core.gold_labels", "core.label_cache", "core.labelled_commits", "core.taxonomy")
"""Referencing tables before the referenced ``core.taxonomy`` (foreign keys decide the order)."""


def migrate(database: str) -> dict[str, int]:
    """Drop the label tables of ``database`` (one transaction) and re-apply the schema.

    Returns the rows each table held. A database that does not exist is an error (nothing to
    migrate, and connecting would create an empty file).
    """
    if database != ":memory:" and not Path(database).is_file():
        raise FileNotFoundError(f"no warehouse at {database}")
    con = duckdb.connect(database)
    try:
        present = {f"{s}.{t}" for s, t in con.sql("select schema_name, table_name from duckdb_tables()").fetchall()}
        dropped: dict[str, int] = {}
        con.execute("begin transaction")
        try:
            for table in LABEL_TABLES:
                if table in present:
                    dropped[table] = con.execute(f"select count(*) from {table}").fetchone()[0]
                    con.execute(f"drop table {table}")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        apply_schema(con)
        return dropped
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", nargs="?", default=DEFAULT_DB, help=f"warehouse file (default {DEFAULT_DB})")
    args = parser.parse_args(argv)
    try:
        dropped = migrate(args.database)
    except (FileNotFoundError, duckdb.Error) as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return 1
    for table, rows in dropped.items():
        print(f"dropped {table} ({rows} rows)")
    print("label tables re-created with the current taxonomy; materialize core/labelled_commits for every family "
          "(and core/llm_labelled_commits, core/label_agreement if you use them), then the sync assets.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
