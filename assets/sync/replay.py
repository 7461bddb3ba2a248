"""Replay a frozen dataset: commit histories and labels from files instead of the APIs.

arXiv:2508.10157 publishes its replication data; anyone holding it (or an export of another
hubscope warehouse) can re-run the study from files. The files carry the columns of
``raw.commits`` and ``core.labelled_commits`` (CSV or Parquet); the families and their variants
are derived from the commits unless a families file says otherwise. Everything for the replayed
families is replaced in one transaction: a bad file is rejected with its name and the reason, and
leaves the warehouse as it was.

Replayed data never overwrites ingested data by accident: every family key is put in the namespace
``replay.`` (``--namespace``), which no ingested key can take (GitHub owners have no dots). With
``--namespace ''`` the keys are used as they are, and a family that ingestion already filled (it has
rows in ``raw.repo_state``) is refused unless ``--replace-ingested`` is given; then its ingest state
is dropped too, so the next ingest fetches its history afresh instead of trusting stale counts.
Label and families rows must belong to the commits file's own families.

Usage (then materialize ``core/sync_families`` for the printed families and the ``out/sync_*`` tables)::

    python -m assets.sync.replay --commits commits.parquet --labels labels.csv [--families families.csv] \
        [--namespace replay] [--replace-ingested] [--db data/hubscope.duckdb]
"""

from __future__ import annotations

import argparse
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from orchestration.partitions import FAMILIES
from orchestration.warehouse import Warehouse, insert_frame

COMMIT_REQUIRED = ["family_key", "platform", "repo", "sha"]
LABEL_REQUIRED = ["family_key", "platform", "repo", "sha", "category"]
FAMILY_REQUIRED = ["family_key", "github_repo"]
NAMESPACE = "replay"
_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
"""Partition keys (orchestration/partitions.py): lower case letters, digits, '.', '_' and '-'."""


def read_table(path: Path) -> pl.DataFrame:
    """A CSV or Parquet file as a frame (error names the file)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"replay file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"replay file {path}: expected .csv or .parquet")
    try:
        return pl.read_parquet(path) if suffix == ".parquet" else pl.read_csv(path, infer_schema_length=None)
    except pl.exceptions.PolarsError as error:  # polars' message names neither the file nor the option that failed
        raise ValueError(f"replay file {path}: cannot be read: {str(error).splitlines()[0]}") from error


def _check(frame: pl.DataFrame, required: list[str], path: Path) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"replay file {path}: missing column(s) {', '.join(missing)}")
    nulls = [c for c in required if frame[c].null_count()]
    if nulls:
        raise ValueError(f"replay file {path}: empty values in required column(s) {', '.join(nulls)}")
    if "platform" in frame.columns:
        bad = sorted(set(frame["platform"].unique().to_list()) - {"github", "hub"})
        if bad:
            raise ValueError(f"replay file {path}: platform must be 'github' or 'hub', found {bad}")


def _check_unique(frame: pl.DataFrame, key: list[str], path: Path) -> None:
    """Repeated keys would violate the target table's primary key inside the transaction, where the
    error could no longer name the file; refuse them here."""
    dupes = frame.filter(pl.struct(key).is_duplicated())
    if dupes.height:
        raise ValueError(f"replay file {path}: {dupes.height} rows repeat a ({', '.join(key)})")


def _columns(warehouse: Warehouse, table: str) -> list[str]:
    schema, name = table.split(".")
    return warehouse.query(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position", [schema, name]
    )["column_name"].to_list()


def _foreign(frame: pl.DataFrame, own: set[str], path: Path) -> None:
    """Rows for a family that the commits file does not hold would overwrite another family: refuse them."""
    strangers = sorted(set(frame["family_key"].unique().to_list()) - own)
    if strangers:
        raise ValueError(f"replay file {path}: rows for families not in the commits file {strangers[:5]}")


def _namespaced(frame: pl.DataFrame, namespace: str, path: Path) -> pl.DataFrame:
    """``frame`` with every family key lower-cased (partition keys are) and put in ``namespace``
    (``<namespace>.<key>``); keys that are no partition keys, or that only differ in case, are named."""
    key = pl.col("family_key").cast(pl.String).str.to_lowercase()
    keyed = frame.with_columns((pl.lit(f"{namespace}.") + key if namespace else key).alias("family_key"))
    pairs = frame.select(pl.col("family_key").cast(pl.String).alias("given"), keyed["family_key"].alias("key")).unique()
    clashes = pairs.filter(pl.col("key").is_duplicated())["given"].sort().to_list()
    if clashes:
        raise ValueError(f"replay file {path}: family keys {clashes[:5]} differ only in case")
    bad = sorted(set(keyed.filter(~pl.col("family_key").str.contains(_KEY.pattern))["family_key"].to_list()))
    if bad:
        raise ValueError(f"replay file {path}: family keys {bad[:5]} are not partition keys "
                         "(lower case letters, digits, '.', '_', '-')")
    return keyed


def prepare(
    warehouse: Warehouse, commits_path: Path, labels_path: Path | None, families_path: Path | None, now: datetime,
    namespace: str = NAMESPACE,
) -> dict[str, pl.DataFrame]:
    """The frames to write, per target table, after validating every file."""
    commits = read_table(commits_path)
    _check(commits, COMMIT_REQUIRED, commits_path)
    own = set(commits["family_key"].cast(pl.String).unique().to_list())
    commits = _namespaced(commits, namespace, commits_path)
    if "committed_at" not in commits.columns and "authored_at" not in commits.columns:
        raise ValueError(f"replay file {commits_path}: needs committed_at or authored_at")
    known = _columns(warehouse, "raw.commits")
    commits = commits.select([c for c in commits.columns if c in known])
    if "fetched_at" not in commits.columns:
        commits = commits.with_columns(pl.lit(now).alias("fetched_at"))
    _check_unique(commits, COMMIT_REQUIRED, commits_path)

    labels = pl.DataFrame(schema={c: pl.String for c in LABEL_REQUIRED})
    if labels_path is not None:
        labels = read_table(labels_path)
        _check(labels, LABEL_REQUIRED, labels_path)
        _foreign(labels, own, labels_path)
        labels = _namespaced(labels, namespace, labels_path)
        taxonomy = set(warehouse.query("select key from core.taxonomy")["key"].to_list())
        unknown = sorted(set(labels["category"].unique().to_list()) - taxonomy)
        if unknown:
            raise ValueError(f"replay file {labels_path}: unknown categories {unknown} (see core.taxonomy)")
        if "labeller" not in labels.columns:
            labels = labels.with_columns(pl.lit("replay").alias("labeller"))
        _check_unique(labels, [*COMMIT_REQUIRED, "labeller"], labels_path)
        labels = labels.select(
            [c for c in labels.columns if c in _columns(warehouse, "core.labelled_commits")]
        ).with_columns(pl.lit("labelled").alias("status"), pl.lit(now).alias("labelled_at"))

    if families_path is not None:
        families = read_table(families_path)
        _check(families, FAMILY_REQUIRED, families_path)
        _foreign(families, own, families_path)
        families = _namespaced(families.select(FAMILY_REQUIRED), namespace, families_path)
        _check_unique(families, ["family_key"], families_path)
    else:
        families = commits.filter(pl.col("platform") == "github").group_by("family_key").agg(
            pl.col("repo").unique().alias("repos")
        )
        several = families.filter(pl.col("repos").list.len() > 1)
        if several.height:
            raise ValueError(f"replay file {commits_path}: families with several GitHub repositories "
                             f"{several['family_key'].to_list()[:5]}; give a families file")
        families = families.select("family_key", pl.col("repos").list.first().alias("github_repo"))
    orphans = sorted(set(commits["family_key"].unique().to_list()) - set(families["family_key"].to_list()))
    if orphans:
        raise ValueError(f"replay: families {orphans[:5]} have no GitHub repository; give a families file")

    variants = commits.filter(pl.col("platform") == "hub").select("family_key", pl.col("repo").alias("repo_id")).unique()
    families = families.join(
        variants.group_by("family_key").agg(pl.len().cast(pl.Int32).alias("n_variants")), on="family_key", how="left"
    ).with_columns(pl.col("n_variants").fill_null(0), pl.lit(now).alias("first_seen"))
    return {"raw.commits": commits, "core.labelled_commits": labels,
            "core.families": families, "core.variants": variants}


def replay(
    warehouse: Warehouse,
    commits_path: Path,
    labels_path: Path | None = None,
    families_path: Path | None = None,
    now: datetime | None = None,
    *,
    namespace: str = NAMESPACE,
    replace_ingested: bool = False,
) -> list[str]:
    """Load the files into the warehouse, replacing the replayed families' rows; returns the family keys.

    Raises ``ValueError`` naming the families when a key is an ingested family's and
    ``replace_ingested`` is not set (only possible with an empty ``namespace``).
    """
    frames = prepare(warehouse, commits_path, labels_path, families_path, now or datetime.now(UTC), namespace)
    keys = sorted(frames["core.families"]["family_key"].to_list())
    ingested = warehouse.query(
        "select distinct family_key from raw.repo_state where family_key in (select unnest(?::varchar[]))", [keys]
    )["family_key"].sort().to_list()
    if ingested and not replace_ingested:
        raise ValueError(f"replay of {commits_path}: families {ingested[:5]} hold ingested histories; replay "
                         "into a namespace (the default) or pass --replace-ingested; nothing was written")
    try:
        with warehouse.transaction() as con:
            con.execute("create temp table _replay_keys (family_key varchar)")
            con.executemany("insert into _replay_keys values (?)", [[k] for k in keys])
            # an ingest state left behind would call the replaced history "unchanged" for ever
            con.execute("delete from raw.repo_state where family_key in (select family_key from _replay_keys)")
            # children before parents, so the order stays safe if foreign keys are added
            for table in ("core.labelled_commits", "core.variants", "raw.commits", "core.families"):
                con.execute(f"delete from {table} where family_key in (select family_key from _replay_keys)")
            for table in ("core.families", "core.variants", "raw.commits", "core.labelled_commits"):
                insert_frame(con, table, frames[table])
    except Exception as error:
        files = ", ".join(str(p) for p in (commits_path, labels_path, families_path) if p is not None)
        raise ValueError(f"replay of {files} failed, nothing was written: {error}") from error
    return keys


def main(argv: list[str] | None = None) -> None:
    """Command line: load the files, print the families, and register them as partitions if DAGSTER_HOME is set."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=Path, required=True, help="CSV/Parquet with raw.commits' columns")
    parser.add_argument("--labels", type=Path, help="CSV/Parquet with core.labelled_commits' columns")
    parser.add_argument("--families", type=Path, help="CSV/Parquet with family_key, github_repo")
    parser.add_argument("--namespace", default=NAMESPACE,
                        help="prefix of the replayed family keys, '<namespace>.<key>' (default: replay; '' for none)")
    parser.add_argument("--replace-ingested", action="store_true",
                        help="with --namespace '': allow replacing families that ingestion filled")
    parser.add_argument("--db", help="warehouse file (default: HUBSCOPE_DB or data/hubscope.duckdb)")
    args = parser.parse_args(argv)
    warehouse = Warehouse(database=args.db) if args.db else Warehouse()
    keys = replay(warehouse, args.commits, args.labels, args.families, namespace=args.namespace,
                  replace_ingested=args.replace_ingested)
    if os.environ.get("DAGSTER_HOME"):
        import dagster as dg

        with dg.DagsterInstance.get() as instance:
            instance.add_dynamic_partitions(FAMILIES.name, keys)
        print(f"registered {len(keys)} family partitions")
    print("\n".join(keys))


if __name__ == "__main__":
    main()
