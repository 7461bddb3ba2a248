"""The DDL's constraints as blocking asset checks, so a lake keeps what the file enforces.

A DuckDB file refuses a duplicate primary key, an orphaned foreign key or a failed CHECK at insert
time; DuckLake enforces none of them (only NOT NULL). Each constraint ``sql/ddl`` declares
(:func:`orchestration.schema.ddl_constraints`, read from DuckDB's own ``duckdb_constraints()``) becomes
a query listing the rows that break it, and every asset that writes the table gets a blocking check
running those queries after each materialization: a failure stops everything downstream of that
partition. The checks run on both backends; on a file they always pass, which is what the tests
hold them to.

Which asset writes which table: an asset ``schema/name`` writes ``schema.name``; :data:`ALSO_WRITES`
lists the tables written beside it. Partitioned assets check their own partition's rows where the
table has the partition's column (:data:`PARTITION_COLUMNS`), so a problem in one family never fails
another family's run.
"""

from __future__ import annotations

import re
import warnings
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping

import dagster as dg

from orchestration.partitions import BASE_MODELS, FAMILIES
from orchestration.schema import Constraint, ddl_columns, ddl_constraints
from orchestration.warehouse import Warehouse, table_preview

ALSO_WRITES: Mapping[str, tuple[str, ...]] = {
    "raw/commits": ("raw.repo_state",),
    "core/llm_labelled_commits": ("core.labelled_commits", "core.label_cache"),
    "core/label_agreement": ("core.gold_labels", "core.gold_predictions"),
    "core/sync_families": ("core.sync_variants", "core.sync_periods", "core.sync_handoffs"),
    "core/gem_search": ("core.gem_outcomes", "core.gem_failures", "core.gem_rounds", "core.gem_picks"),
}
"""Tables an asset writes besides the one named like its key (assets/*: the ``replace_many`` and
``append`` calls of those assets)."""

PARTITION_COLUMNS: Mapping[str, str] = {FAMILIES.name: "family_key", BASE_MODELS.name: "base_key"}
"""The column holding each partitions definition's key (orchestration/partitions.py)."""


def tables_written(key: dg.AssetKey) -> tuple[str, ...]:
    """The warehouse tables an asset writes, by its key."""
    return (".".join(key.path), *ALSO_WRITES.get("/".join(key.path), ()))


def _ident(name: str) -> str:
    return ".".join(f'"{part}"' for part in name.split("."))


def problem_sql(constraint: Constraint, partition_column: str | None = None) -> str:
    """A query listing what breaks ``constraint`` (no rows: it holds); with ``partition_column``, only in the
    partition ``$partition``. Keys: each duplicated key and its copies. Foreign keys: each missing parent
    value and how many rows name it. Checks: the rows whose condition is false (NULL passes, as in SQL)."""
    table = _ident(constraint.table)
    cols = ", ".join(f'"{c}"' for c in dict.fromkeys(constraint.columns))
    part = f'"{partition_column}" = $partition' if partition_column else "true"
    if constraint.kind in ("PRIMARY KEY", "UNIQUE"):
        return f"select {cols}, count(*) as copies from {table} where {part} group by all having count(*) > 1"
    if constraint.kind == "FOREIGN KEY":
        present = " and ".join(f'c."{c}" is not null' for c in constraint.columns)
        match = " and ".join(f'p."{r}" = c."{c}"' for c, r in zip(constraint.columns, constraint.referenced_columns, strict=True))
        return (f"select {', '.join(f'c.{chr(34)}{c}{chr(34)}' for c in constraint.columns)}, count(*) as rows "
                f"from {table} c where {present} and {part} "
                f"and not exists (select 1 from {_ident(constraint.references)} p where {match}) group by all")
    if constraint.kind == "CHECK":
        return f"select * from {table} where {part} and not coalesce(({constraint.expression}), true)"
    raise ValueError(f"no check for a {constraint.kind} constraint ({constraint.text})")


def check_name(constraint: Constraint) -> str:
    """A stable check name, e.g. ``raw_commits_primary_key``, ``core_labelled_commits_foreign_key_category``."""
    kind = constraint.kind.lower().replace(" ", "_")
    columns = "" if kind == "primary_key" else "_" + "_".join(dict.fromkeys(constraint.columns))
    return re.sub(r"\W+", "_", f"{constraint.table.replace('.', '_')}_{kind}{columns}")


def _description(constraint: Constraint) -> str:
    return (f"{constraint.table}: {constraint.text} (sql/ddl). The DuckDB file enforces it on insert; DuckLake "
            "does not, so this blocking check lists the rows that break it after each write.")


def constraint_checks(assets: Iterable[tuple[dg.AssetKey, dg.PartitionsDefinition | None]],
                      constraints: Iterable[Constraint] | None = None) -> list[dg.AssetChecksDefinition]:
    """One multi-check per asset (one step, not one per constraint) over the constraints of the tables it writes."""
    by_table: dict[str, list[Constraint]] = defaultdict(list)
    for constraint in ddl_constraints() if constraints is None else constraints:
        by_table[constraint.table].append(constraint)
    checks = []
    for key, partitions_def in assets:
        found = [c for table in tables_written(key) for c in by_table.get(table, ())]
        if found:
            checks.append(_asset_checks(key, partitions_def, found))
    return checks


def _asset_checks(key: dg.AssetKey, partitions_def: dg.PartitionsDefinition | None,
                  constraints: list[Constraint]) -> dg.AssetChecksDefinition:
    column = PARTITION_COLUMNS.get(getattr(partitions_def, "name", None) or "")
    queries = {check_name(c): problem_sql(c, column if column in ddl_columns().get(c.table, ()) else None)
               for c in constraints}

    def _check(context, warehouse: Warehouse) -> Iterator[dg.AssetCheckResult]:  # noqa: ANN001 (Dagster reads the hint)
        partition = context.partition_key if partitions_def else None
        with warehouse.get_connection(read_only=True) as con:  # one connection for all: a file opens in ~50 ms
            found = {name: con.sql(sql, params={"partition": partition} if "$partition" in sql else None).pl()
                     for name, sql in queries.items()}
        for name, rows in found.items():
            sql = queries[name]
            yield dg.AssetCheckResult(
                asset_key=key, check_name=name, passed=rows.is_empty(),
                metadata={"problems": dg.MetadataValue.int(rows.height), "rows": table_preview(rows, rows=20),
                          "query": dg.MetadataValue.md(f"```sql\n{sql}\n```")})

    with warnings.catch_warnings():  # partitioned checks are "preview" in 1.13; tested in tests/ops/test_ducklake.py
        warnings.simplefilter("ignore", dg.PreviewWarning)
        specs = [dg.AssetCheckSpec(check_name(c), asset=key, blocking=True, description=_description(c),
                                   partitions_def=partitions_def) for c in constraints]
        return dg.multi_asset_check(name=f"{key.to_python_identifier()}_constraints", specs=specs, pool="duckdb",
                                    description=f"The sql/ddl constraints of what {key.to_user_string()} writes.")(_check)


def with_constraint_checks(defs: dg.Definitions) -> dg.Definitions:
    """``defs`` plus the constraint checks of every materializable asset in it (the one place they are attached)."""
    graph = defs.resolve_asset_graph()
    assets = [(key, graph.get(key).partitions_def) for key in sorted(graph.get_all_asset_keys())
              if graph.get(key).is_materializable]
    return dg.Definitions.merge(defs, dg.Definitions(asset_checks=constraint_checks(assets)))
