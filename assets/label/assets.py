"""Label assets: rules labels, LLM labels and agreement with the gold set (thin wrappers).

- ``core/labelled_commits`` (FAMILIES): the rules labeller on every commit of the family. Cheap,
  offline, safe to automate.
- ``core/llm_labelled_commits`` (FAMILIES): the LLM labeller, when the ``llm`` resource has a
  ``base_url``. Tagged ``hubscope/cost: llm`` so automation policies never run it eagerly; capped
  per run by config. Both write ``core.labelled_commits`` (one row per commit and labeller); the
  view ``core.commit_labels`` gives one label per commit: in each family, the labelled answer of the
  LLM labeller that ran last on that family, else the rules label (never a mix of models).
  ``llm_unlabelled_share`` fails a family whose LLM left too many commits unlabelled.
- ``core/label_agreement``: each labeller on the hand-labelled gold set, with Cohen's kappa per
  platform and the confusion matrix checked by ``kappa_meets_threshold``.
"""

import time
import warnings
from collections import Counter
from collections.abc import Iterator

import dagster as dg
import polars as pl
from pydantic import Field

from assets.label.agreement import cohen_kappa, confusion_markdown
from assets.label.commit_text import commit_text
from assets.label.gold import load_gold
from assets.label.llm import LLMLabeller, LLMSettings, make_client, prompt_version, safe_url
from assets.label.rules import label_commit, rules_version
from assets.label.store import (
    LABEL_TABLE,
    commit_texts,
    label_with_cache,
    llm_label_rows,
    previous_labels,
    read_commits,
    rules_label_rows,
)
from assets.label.taxonomy import load_taxonomy
from orchestration.checks import problem_rows_check
from orchestration.partitions import FAMILIES
from orchestration.policies import COST_TAG
from orchestration.resources import LLMResource
from orchestration.warehouse import Warehouse, table_preview

RAW_COMMITS = dg.AssetKey(["raw", "commits"])


class LLMLabelConfig(dg.Config):
    """Run config of LLM labelling: batching, concurrency, retries and the run's caps."""

    batch_size: int = Field(default=25, ge=1, description="Commits per request (the target is >= 20).")
    concurrency: int = Field(default=4, ge=1, description="Requests in flight at once.")
    max_new_commits: int | None = Field(default=5000, description="Uncached commits asked per run; None: all.")
    max_tokens: int | None = Field(default=2_000_000, description="Token budget of the run; None: unlimited.")
    timeout_s: float = Field(default=120.0, gt=0, description="Per-request timeout.")
    max_retries: int = Field(default=4, ge=0, description="The openai client's retries (429/5xx/timeouts).")
    structured_output: bool = Field(default=True, description="Send a JSON schema (turn off for servers without it).")

    def settings(self) -> LLMSettings:
        return LLMSettings(**self.model_dump())


def _labeller(llm: LLMResource, config: LLMLabelConfig) -> LLMLabeller:
    """The LLM labeller for the configured endpoint and this run's settings."""
    settings = config.settings()
    return LLMLabeller(make_client(llm.base_url or "", llm.api_key, settings), llm.model, settings)


def _by_labeller_platform(predictions: pl.DataFrame) -> Iterator[tuple[str, str, pl.DataFrame]]:
    """Gold predictions per (labeller, platform), in a stable order (the kappa table and confusion matrices)."""
    for (name, plat), part in sorted(predictions.group_by("labeller", "platform"), key=lambda g: g[0]):
        yield name, plat, part


def _distribution(frame: pl.DataFrame) -> dg.MetadataValue:
    counts = frame.group_by("platform", "category").len().sort("platform", "len", descending=[False, True])
    return table_preview(counts, rows=40)


@dg.asset(
    key=["core", "labelled_commits"],
    deps=[RAW_COMMITS],
    partitions_def=FAMILIES,
    group_name="label",
    kinds={"duckdb", "python"},
    pool="duckdb",
    description="Rules labels (labeller `rules`) for every commit of the family, from its message and "
    "changed paths; the default when no LLM is configured and the baseline LLMs are compared with. "
    "Labels (the study's shares count only those marked as categories):\n\n" + load_taxonomy().markdown(),
)
def labelled_commits(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    family = context.partition_key
    commits = read_commits(warehouse, family)
    if commits.is_empty():
        context.log.warning(f"raw.commits has no commits for family {family!r}; stored labels are kept")
        return dg.MaterializeResult(metadata={"dagster/row_count": 0, "skipped": "no commits in raw.commits"})
    started = time.perf_counter()
    frame = rules_label_rows(commits, commit_texts(commits), rules_version())
    elapsed = time.perf_counter() - started
    warehouse.replace(LABEL_TABLE, {"family_key": family, "labeller": "rules"}, frame)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "no_rule_matched": int((frame["confidence"] == 0).sum()),
            "commits_per_second": round(frame.height / max(elapsed, 1e-9)),
            "categories": _distribution(frame),
            "preview": table_preview(frame.select("platform", "repo", "sha", "category", "confidence", "rationale")),
        }
    )


@dg.asset(
    key=["core", "llm_labelled_commits"],
    deps=[RAW_COMMITS],
    partitions_def=FAMILIES,
    group_name="label",
    kinds={"duckdb", "python", "openai"},
    # no pool slot: its long part is remote work; its writes queue on the warehouse's write lock
    tags={COST_TAG: "llm"},  # spends tokens: the policies never run it by themselves
    description="LLM labels (labeller `llm:<model>`) for every commit of the family, through any "
    "OpenAI-compatible endpoint (the `llm` resource; nothing happens without a base_url). Valid answers are "
    "cached by commit content, model and prompt version (core.label_cache) as each batch ends: a re-run "
    "costs no request for them, and asks again for commits answered badly or lost to a failed batch. "
    "Spends tokens: run on demand, never eagerly; capped by run config.",
)
def llm_labelled_commits(
    context: dg.AssetExecutionContext, config: LLMLabelConfig, warehouse: Warehouse, llm: LLMResource
) -> dg.MaterializeResult:
    family = context.partition_key
    if not llm.configured:
        context.log.info("no LLM endpoint configured (OPENAI_BASE_URL); rules labels stand alone")
        return dg.MaterializeResult(metadata={"dagster/row_count": 0, "skipped": "no LLM endpoint configured"})
    commits = read_commits(warehouse, family)
    name, version = f"llm:{llm.model}", prompt_version()
    texts = commit_texts(commits)
    labeller = _labeller(llm, config)
    outcomes, hits = label_with_cache(warehouse, labeller, version, {t.content_hash: t for t in texts})
    frame = llm_label_rows(commits, texts, outcomes, previous_labels(warehouse, family, name), name, version)
    if not commits.is_empty():
        warehouse.replace(LABEL_TABLE, {"family_key": family, "labeller": name}, frame)
    stats = labeller.stats
    asked = len({t.content_hash for t in texts}) - hits - stats.deferred
    reasons = Counter(r for r in frame.filter(pl.col("status") == "unlabelled")["reason"].to_list())
    metadata = {
        "dagster/row_count": frame.height,
        "endpoint": safe_url(llm.base_url or ""),
        "model": llm.model,
        "prompt_version": version,
        "requests": stats.requests,
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
        "tokens_per_new_commit": round(stats.tokens / asked, 1) if asked > 0 else 0.0,
        "commits_per_request": round(asked / stats.requests, 1) if stats.requests else 0.0,
        "cache_hits": hits,
        "retried_commits": stats.retried_commits,
        "deferred_by_caps": stats.deferred,
        "failed_endpoint": stats.failed,
        "unlabelled": frame.filter(pl.col("status") == "unlabelled").height,
        "unlabelled_reasons": dg.MetadataValue.json(dict(reasons.most_common(10))),
        "categories": _distribution(frame.filter(pl.col("status") == "labelled")),
        "preview": table_preview(frame.select("platform", "repo", "sha", "category", "status", "reason")),
    }
    if stats.failed:
        raise dg.Failure(
            description=f"{stats.failed} commit(s) of family {family!r} got no LLM answer: {stats.errors[0]}. "
            "Answers received were stored and cached, earlier labels kept; re-run to ask only for the rest.",
            metadata=metadata,
        )
    if stats.deferred:
        context.log.warning(f"{stats.deferred} commit(s) deferred by the run's caps; re-run to label them")
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    key=["core", "label_agreement"],
    group_name="label",
    kinds={"duckdb", "python"},
    # no pool slot: its long part is remote work; its writes queue on the warehouse's write lock
    tags={COST_TAG: "llm"},
    description="The hand-labelled gold set (assets/label/gold.csv -> core.gold_labels) and each labeller's "
    "answers on it (core.gold_predictions): rules always, the LLM when configured (cached like all LLM "
    "labels). Cohen's kappa per platform is checked by `kappa_meets_threshold`.",
)
def label_agreement(config: LLMLabelConfig, warehouse: Warehouse, llm: LLMResource) -> dg.MaterializeResult:
    gold = load_gold()
    texts = {r["gold_id"]: commit_text(r) for r in gold.iter_rows(named=True)}
    answers = {"rules": {gid: (label_commit(t).category, None) for gid, t in texts.items()}}
    if llm.configured:
        labeller = _labeller(llm, config)
        outcomes, _ = label_with_cache(warehouse, labeller, prompt_version(), {t.content_hash: t for t in texts.values()})
        if labeller.stats.failed or labeller.stats.deferred:
            raise dg.Failure(
                description=f"{labeller.stats.failed + labeller.stats.deferred} gold commit(s) got no LLM answer "
                f"({'; '.join(labeller.stats.errors[:1]) or 'caps reached'}); a kappa on a partial set would "
                "mislead, so nothing was replaced. Answers received are cached: re-run to complete."
            )
        answers[f"llm:{llm.model}"] = {gid: (o.category, o.reason) for gid, t in texts.items()
                                       for o in [outcomes[t.content_hash]]}
    platform = dict(zip(gold["gold_id"], gold["platform"], strict=True))
    truth = dict(zip(gold["gold_id"], gold["category"], strict=True))
    predictions = pl.DataFrame(
        [
            {"gold_id": gid, "labeller": name, "platform": platform[gid], "gold": truth[gid],
             "predicted": cat, "reason": reason}
            for name, by_id in answers.items()
            for gid, (cat, reason) in by_id.items()
        ]
    )
    warehouse.replace_many({}, {"core.gold_labels": gold, "core.gold_predictions": predictions})
    summary = kappa_table(predictions)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": gold.height,
            "gold_per_platform": dg.MetadataValue.json(dict(Counter(gold["platform"].to_list()))),
            "kappa": table_preview(summary, rows=20),
        }
    )


def kappa_table(predictions: pl.DataFrame) -> pl.DataFrame:
    """Kappa and accuracy per labeller and platform from gold predictions."""
    rows = []
    for name, plat, part in _by_labeller_platform(predictions):
        gold, pred = part["gold"].to_list(), part["predicted"].to_list()
        rows.append({
            "labeller": name, "platform": plat, "n": part.height,
            "kappa": round(cohen_kappa(gold, pred), 3),
            "accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / part.height, 3),
            "unlabelled": sum(p is None for p in pred),
        })
    return pl.DataFrame(rows)


class KappaCheckConfig(dg.Config):
    threshold: float = Field(
        default=0.6, ge=-1.0, le=1.0,
        description="Minimum Cohen's kappa for every labeller on every platform (0.61 starts 'substantial' "
        "agreement; the paper's LLM reached 0.79 on GitHub and 0.72 on the Hub).",
    )


@dg.asset_check(
    asset=label_agreement,
    blocking=False,
    pool="duckdb",
    description="Cohen's kappa of every labeller against the gold set, per platform, is at least the "
    "threshold; confusion matrices in the metadata. Not blocking: the gold evaluation feeds no asset, "
    "and a weak labeller must be visible, not stop the rules labels the study runs on.",
)
def kappa_meets_threshold(config: KappaCheckConfig, warehouse: Warehouse) -> dg.AssetCheckResult:
    predictions = warehouse.query("select * from core.gold_predictions", read_only=True)
    if predictions.is_empty():
        return dg.AssetCheckResult(passed=False, description="no gold predictions: materialize core/label_agreement")
    summary = kappa_table(predictions)
    failing = summary.filter(pl.col("kappa") < config.threshold)
    keys = load_taxonomy().keys
    metadata: dict[str, dg.MetadataValue] = {
        "threshold": dg.MetadataValue.float(config.threshold),
        "kappa": table_preview(summary, rows=20),
    }
    for name, plat, part in _by_labeller_platform(predictions):
        metadata[f"confusion {name} {plat}"] = dg.MetadataValue.md(
            confusion_markdown(part["gold"].to_list(), part["predicted"].to_list(), keys)
        )
    below = ", ".join(f"{r['labeller']} on {r['platform']}: {r['kappa']}" for r in failing.iter_rows(named=True))
    return dg.AssetCheckResult(
        passed=failing.is_empty(),
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"below {config.threshold}: {below}" if below else f"all kappas >= {config.threshold}",
        metadata=metadata,
    )


class UnlabelledShareConfig(dg.Config):
    max_unlabelled_share: float = Field(
        default=0.05, ge=0.0, le=1.0,
        description="Largest share of a family's commits the LLM labeller may leave unlabelled (its answers "
        "failed validation twice) before the check fails.",
    )


LLM_SHARE_SQL = """
    select labeller, count(*) as commits, count(*) filter (where status = 'unlabelled') as unlabelled,
           max(labelled_at) as last_run
    from core.labelled_commits
    where family_key = ? and labeller like 'llm:%'
    group by labeller
    order by last_run desc, labeller
    limit 1
"""
"""The family's LLM labeller that ran last: the one core.commit_labels reads (same order)."""


with warnings.catch_warnings():  # partitioned checks are "preview" in 1.13 (see orchestration/checks.py)
    warnings.simplefilter("ignore", dg.PreviewWarning)

    @dg.asset_check(
        asset=llm_labelled_commits,
        blocking=False,
        pool="duckdb",
        partitions_def=FAMILIES,
        description="The LLM labeller that ran last on the family (the one core.commit_labels reads) left "
        "at most `max_unlabelled_share` of its commits unlabelled. A model answering in prose, with wrong "
        "ids or unknown labels otherwise passes unseen, its commits silently falling back to rules labels. "
        "Not blocking: those commits still carry their rules label.",
    )
    def llm_unlabelled_share(
        context: dg.AssetCheckExecutionContext, config: UnlabelledShareConfig, warehouse: Warehouse
    ) -> dg.AssetCheckResult:
        family = context.partition_key
        rows = warehouse.query(LLM_SHARE_SQL, [family], read_only=True)
        if rows.is_empty():
            return dg.AssetCheckResult(passed=True, description=f"no LLM labels in family {family!r}")
        row = rows.row(0, named=True)
        share = row["unlabelled"] / row["commits"]
        reasons = warehouse.query(
            "select reason, count(*) as commits from core.labelled_commits where family_key = ? and labeller = ? "
            "and status = 'unlabelled' group by reason order by commits desc, reason limit 10",
            [family, row["labeller"]], read_only=True,
        )
        passed = share <= config.max_unlabelled_share
        return dg.AssetCheckResult(
            passed=passed,
            description=f"{row['labeller']} left {row['unlabelled']} of {row['commits']} commits of {family!r} "
            f"unlabelled ({share:.1%}; at most {config.max_unlabelled_share:.1%} allowed)"
            + ("" if passed else "; re-run core/llm_labelled_commits to ask for them again, or change the model"),
            metadata={
                "labeller": row["labeller"],
                "commits": row["commits"],
                "unlabelled": row["unlabelled"],
                "unlabelled_share": dg.MetadataValue.float(round(share, 4)),
                "max_unlabelled_share": dg.MetadataValue.float(config.max_unlabelled_share),
                "reasons": table_preview(reasons),
            },
        )


every_commit_labelled = problem_rows_check(
    asset=labelled_commits,
    name="every_commit_labelled",
    description="In every family that has rules labels, every commit of raw.commits has one and no label "
    "points at a commit that is gone. Blocking: the study tables count categories per commit, and a hole "
    "here would silently shift every share. Families never labelled are not counted (not yet run).",
    sql="""
        with labelled as (select distinct family_key from core.labelled_commits where labeller = 'rules'),
        rules as (select * from core.labelled_commits where labeller = 'rules'),
        missing as (
            select c.family_key from raw.commits c join labelled using (family_key)
            anti join rules l using (family_key, platform, repo, sha)),
        orphaned as (select l.family_key from rules l anti join raw.commits c using (family_key, platform, repo, sha))
        select 'missing' as problem, family_key, count(*) as commits from missing group by all
        union all
        select 'orphaned', family_key, count(*) from orphaned group by all
        order by problem, commits desc
    """,
    count_by=("problem", "commits", ("missing", "orphaned")),
)
