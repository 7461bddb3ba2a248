"""Reading commits and writing labels: the warehouse side of labelling, shared by the assets.

Every function opens a connection only for its own read or write (through :class:`Warehouse`),
so no connection is held while an LLM is asked. Writes keep what is already stored: the LLM cache
only grows, one transaction per answered batch, so a failure later in the run loses nothing
already answered; it holds valid answers only, so a commit answered badly is asked again next run.
A partition's LLM rows are rebuilt from this run's answers plus the previous rows of any commit
that got no answer this run (deferred by a cap, or its batch failed).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import polars as pl

from assets.label.commit_text import CommitText, commit_text
from assets.label.llm import LLMLabeller, Outcome
from assets.label.rules import label_commit
from orchestration.warehouse import Warehouse

LABEL_TABLE = "core.labelled_commits"
CACHE_TABLE = "core.label_cache"

LABEL_SCHEMA = {
    "family_key": pl.String, "platform": pl.String, "repo": pl.String, "sha": pl.String,
    "labeller": pl.String, "prompt_version": pl.String, "category": pl.String, "status": pl.String,
    "reason": pl.String, "confidence": pl.Float64, "rationale": pl.String,
    "labelled_at": pl.Datetime("us", "UTC"), "content_hash": pl.String,
}


def read_commits(warehouse: Warehouse, family_key: str) -> pl.DataFrame:
    """The partition's commits from ``raw.commits`` (the columns labellers read)."""
    return warehouse.query(
        "select family_key, platform, repo, sha, parents, title, message, files, n_files "
        "from raw.commits where family_key = ? order by platform, repo, committed_at nulls last, sha",
        [family_key],
    )


def commit_texts(commits: pl.DataFrame) -> list[CommitText]:
    """The labeller's view of each commit row, in row order."""
    return [commit_text(row) for row in commits.iter_rows(named=True)]


def label_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=LABEL_SCHEMA)


def cached_outcomes(warehouse: Warehouse, model: str, prompt_version: str, hashes: list[str]) -> dict[str, Outcome]:
    """Cached answers for these content hashes under this model and prompt version (both part of
    the key: an answer to another prompt, e.g. under an older taxonomy, is never reused)."""
    if not hashes:
        return {}
    rows = warehouse.query(
        f"select * from {CACHE_TABLE} where model = ? and prompt_version = ? and content_hash in (select unnest(?))",
        [model, prompt_version, hashes],
    )
    return {
        r["content_hash"]: Outcome(r["category"], None, r["confidence"], r["rationale"],
                                   r["prompt_tokens"] or 0.0, r["completion_tokens"] or 0.0)
        for r in rows.iter_rows(named=True)
    }


def store_outcomes(warehouse: Warehouse, model: str, prompt_version: str, outcomes: Mapping[str, Outcome]) -> int:
    """Add the valid answers among ``outcomes`` to the cache (one transaction; existing keys are
    kept as they are). Unlabelled outcomes are left out: they are a failure to answer, not an
    answer, and caching them would make every later run reuse the failure for free."""
    now = datetime.now(UTC)
    frame = pl.DataFrame(
        [
            {"content_hash": h, "model": model, "prompt_version": prompt_version, "category": o.category,
             "confidence": o.confidence, "rationale": o.rationale,
             "prompt_tokens": o.prompt_tokens, "completion_tokens": o.completion_tokens, "labelled_at": now}
            for h, o in outcomes.items()
            if o.category is not None
        ],
        schema={"content_hash": pl.String, "model": pl.String, "prompt_version": pl.String, "category": pl.String,
                "confidence": pl.Float64, "rationale": pl.String,
                "prompt_tokens": pl.Float64, "completion_tokens": pl.Float64,
                "labelled_at": pl.Datetime("us", "UTC")},
    )
    return warehouse.append(CACHE_TABLE, frame)


def label_with_cache(
    warehouse: Warehouse, labeller: LLMLabeller, prompt_version: str, texts: Mapping[str, CommitText]
) -> tuple[dict[str, Outcome], int]:
    """Answers for ``texts`` (content hash -> commit): cached ones free, the rest asked.

    Each answered batch is cached as soon as it ends (its own short transaction), so whatever
    ends the run later, the answers received are kept and a re-run asks only for the rest.
    Returns (answers by hash, cache hits). No connection is open while the LLM is asked.
    """
    cached = cached_outcomes(warehouse, labeller.model, prompt_version, list(texts))
    new = labeller.label(
        {h: c for h, c in texts.items() if h not in cached},
        on_batch=lambda batch: store_outcomes(warehouse, labeller.model, prompt_version, batch),
    )
    return {**cached, **new}, len(cached)


def llm_label_rows(
    commits: pl.DataFrame,
    texts: list[CommitText],
    outcomes: Mapping[str, Outcome],
    previous: pl.DataFrame,
    labeller_name: str,
    prompt_version: str,
) -> pl.DataFrame:
    """The partition's LLM rows: one per commit with an answer, else its previous row if any."""
    now = datetime.now(UTC)
    kept = {(r["platform"], r["repo"], r["sha"]): r for r in previous.iter_rows(named=True)}
    rows: list[dict[str, object]] = []
    for row, text in zip(commits.iter_rows(named=True), texts, strict=True):
        h = text.content_hash
        o = outcomes.get(h)
        if o is None:
            old = kept.get((row["platform"], row["repo"], row["sha"]))
            if old is not None:
                rows.append({k: old[k] for k in LABEL_SCHEMA})
            continue
        rows.append({
            "family_key": row["family_key"], "platform": row["platform"], "repo": row["repo"], "sha": row["sha"],
            "labeller": labeller_name, "prompt_version": prompt_version, "category": o.category,
            "status": o.status, "reason": o.reason, "confidence": o.confidence, "rationale": o.rationale,
            "labelled_at": now, "content_hash": h,
        })
    return label_frame(rows)


def previous_labels(warehouse: Warehouse, family_key: str, labeller_name: str) -> pl.DataFrame:
    """The partition's stored rows of one labeller."""
    cols = ", ".join(LABEL_SCHEMA)
    return warehouse.query(
        f"select {cols} from {LABEL_TABLE} where family_key = ? and labeller = ?", [family_key, labeller_name]
    )


def rules_label_rows(commits: pl.DataFrame, texts: list[CommitText], version: str) -> pl.DataFrame:
    """The partition's rules rows: one labelled row per commit (the rules labeller always answers)."""
    now = datetime.now(UTC)
    rows = []
    for row, text in zip(commits.iter_rows(named=True), texts, strict=True):
        lab = label_commit(text)
        rows.append({
            "family_key": row["family_key"], "platform": row["platform"], "repo": row["repo"], "sha": row["sha"],
            "labeller": "rules", "prompt_version": version, "category": lab.category, "status": "labelled",
            "reason": None, "confidence": lab.confidence, "rationale": lab.rationale, "labelled_at": now,
            "content_hash": text.content_hash,
        })
    return label_frame(rows)
