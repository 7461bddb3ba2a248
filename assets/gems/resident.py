"""Candidates kept loaded between rounds of a search, least recently used out first.

Why: sequential halving asks each survivor for more answers every round, and at ~50 queries per
model the cost of a round is loading weights, not answering. Reloading a survivor each round
multiplies the dominant cost by the number of rounds it survives. Late rounds have few
survivors, so a memory budget of a few models removes most reloads; early rounds, with more
candidates than fit, evict in least-recently-used order and cost what they did before.
"""

from __future__ import annotations

from collections import OrderedDict

from assets.gems import evaluator


class ResidentModels:
    """Loaded candidates within ``budget_bytes`` of device memory (0 keeps none)."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self.models: OrderedDict[str, evaluator.Loaded] = OrderedDict()

    def __len__(self) -> int:
        return len(self.models)

    @property
    def held_bytes(self) -> int:
        return sum(m.nbytes for m in self.models.values())

    def take(self, candidate: str) -> evaluator.Loaded | None:
        """The candidate's loaded model, removed from the cache while it is in use (or None)."""
        return self.models.pop(candidate, None)

    def keep(self, candidate: str, loaded: evaluator.Loaded) -> None:
        """Keep ``loaded`` for a later round, evicting the least recently used to make room."""
        size = loaded.nbytes
        if size > self.budget_bytes:
            evaluator.release(loaded)
            return
        while self.models and self.held_bytes + size > self.budget_bytes:
            evaluator.release(self.models.popitem(last=False)[1])
        self.models[candidate] = loaded

    def clear(self) -> bool:
        """Release every resident model; returns whether any was held (so memory was freed)."""
        held = bool(self.models)
        while self.models:
            evaluator.release(self.models.popitem(last=False)[1])
        return held
