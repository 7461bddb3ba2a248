"""The evaluation oracle the search asks: stored answers first, the evaluator only for the rest.

Why: an interrupted evaluation must resume where it stopped and a new round (or another
strategy) must reuse every earlier answer. Answers are written to ``core.gem_outcomes`` after
every chunk of ``write_every`` queries, each in its own short transaction; no DuckDB connection is
open while a model downloads or computes. A failed candidate is written to ``core.gem_failures``
and is not loaded again for that revision. Models stay loaded between rounds within a share of the
device's memory (:class:`~assets.gems.resident.ResidentModels`); call :meth:`EvaluationOracle.close`
when the search is over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

import numpy as np
import polars as pl

from assets.gems import evaluator
from assets.gems.resident import ResidentModels
from assets.gems.search import CandidateFailed
from assets.gems.tasks import Task
from orchestration.warehouse import Warehouse

T = TypeVar("T")


@dataclass
class EvaluationOracle:
    warehouse: Warehouse
    task: Task
    revisions: dict[str, str]  # candidate -> revision
    endpoint: str
    token: str | None = None
    cache_dir: str | None = None
    batch_size: int = 64
    write_every: int = 64
    on_chunk: Callable[[str, int], None] | None = None  # progress hook (model, answered so far)
    resident_share: float = 0.5  # of the device's memory, for models kept loaded between rounds
    stored: dict[str, dict[str, bool]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    computed: int = 0  # queries actually run through a model by this oracle
    loads: int = 0

    def __post_init__(self) -> None:
        self.device, self.dtype = evaluator.pick_device()
        self.resident = ResidentModels(int(self.resident_share * evaluator.device_memory_bytes(self.device)))
        self.stored = {c: {} for c in self.revisions}
        done = self.warehouse.query(
            "select model_id, revision, query_id, correct from core.gem_outcomes where task = ?", [self.task.name]
        )
        for model, rev, qid, ok in done.iter_rows():
            if self.revisions.get(model) == rev:
                self.stored[model][qid] = ok
        failed = self.warehouse.query("select model_id, revision, reason from core.gem_failures where task = ?", [self.task.name])
        self.failures = {m: r for m, rev, r in failed.iter_rows() if self.revisions.get(m) == rev}

    def __call__(self, candidate: str, query_ids: np.ndarray) -> np.ndarray:
        if candidate in self.failures:
            raise CandidateFailed(self.failures[candidate])
        known = self.stored[candidate]
        missing = [q for q in query_ids.tolist() if q not in known]
        if missing:
            try:
                self._evaluate(candidate, missing)
            except CandidateFailed as exc:
                exc.answered = len(query_ids) - sum(q not in known for q in query_ids.tolist())
                self._fail(candidate, exc.reason)
                raise
        return np.array([known[q] for q in query_ids.tolist()], dtype=bool)

    def _evaluate(self, candidate: str, missing: list[str]) -> None:
        revision = self.revisions[candidate]
        queries = self.task.queries.filter(pl.col("query_id").is_in(missing))
        order = {q: i for i, q in enumerate(missing)}
        queries = queries.sort(pl.col("query_id").replace_strict(order, return_dtype=pl.Int64))
        loaded = self.resident.take(candidate) or self._retry_out_of_memory(lambda: self._load(candidate))
        try:
            for start in range(0, queries.height, self.write_every):
                chunk = queries.slice(start, self.write_every)
                answers = self._retry_out_of_memory(lambda: evaluator.answer(loaded, self.task, chunk, self.batch_size))
                self.computed += answers.height
                self.warehouse.append("core.gem_outcomes", answers.with_columns(
                    pl.lit(self.task.name).alias("task"), pl.lit(candidate).alias("model_id"),
                    pl.lit(revision).alias("revision"), pl.lit(self.device.type).alias("device"),
                    pl.lit(datetime.now(UTC)).alias("evaluated_at"),
                ))
                self.stored[candidate].update(zip(answers["query_id"], answers["correct"], strict=True))
                if self.on_chunk:
                    self.on_chunk(candidate, len(self.stored[candidate]))
        except BaseException:
            evaluator.release(loaded)
            raise
        self.resident.keep(candidate, loaded)

    def _load(self, candidate: str) -> evaluator.Loaded:
        path = evaluator.download(candidate, self.revisions[candidate], endpoint=self.endpoint, cache_dir=self.cache_dir, token=self.token)
        loaded = evaluator.load(path, self.device, self.dtype)
        self.loads += 1
        return loaded

    def _retry_out_of_memory(self, step: Callable[[], T]) -> T:
        """Run ``step``; out of memory while other models are resident, release them and retry once."""
        try:
            return step()
        except evaluator.OutOfMemory:
            if not self.resident.clear():
                raise
            return step()

    def close(self) -> None:
        """Release every model kept loaded (the search is over)."""
        self.resident.clear()

    def _fail(self, candidate: str, reason: str) -> None:
        self.failures[candidate] = reason
        self.warehouse.append("core.gem_failures", pl.DataFrame([{
            "task": self.task.name, "model_id": candidate, "revision": self.revisions[candidate],
            "reason": reason, "failed_at": datetime.now(UTC),
        }]))
