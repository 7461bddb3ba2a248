"""The sync study's thresholds in one place, with the values documented in docs/sync.md.

arXiv:2508.10157 (v2, Sec. "RQ2: synchronization patterns") characterises every (Hub variant,
GitHub repository) pair on three dimensions -- lag, synchronization type and intensity -- whose
combinations give 8 patterns. The paper names the dimensions' levels but does not publish
numeric cut-offs in a form that can be coded, so each cut-off is a named, configurable value here;
docs/sync.md explains each default. Boundaries are inclusive on the side named in each field.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SyncThresholds:
    """Cut-offs of the three RQ2 dimensions (all in days or shares, 0..1)."""

    window_days: float = 7.0
    """A commit is *shared* when the other platform committed within this many days (<=)."""
    together_days: float = 1.0
    """|lag| <= this: the platforms move together (no leader)."""
    long_lag_days: float = 7.0
    """|lag| > this: a long delay (Disperse / Delayed patterns)."""
    full_overlap: float = 0.8
    """Overlap of the two activity spans >= this: full synchronization; > 0: partial; 0: none."""
    frequent_share: float = 0.5
    """Co-change share >= this: frequent intensity."""
    sporadic_share: float = 0.2
    """Co-change share >= this (and below frequent): sporadic; below: rare."""
    future_tolerance_days: float = 1.0
    """A commit dated later than its fetch time plus this is a clock in the future and is dropped."""

    def __post_init__(self) -> None:
        if not 0 <= self.sporadic_share <= self.frequent_share <= 1:
            raise ValueError("thresholds need 0 <= sporadic_share <= frequent_share <= 1")
        if not 0 < self.full_overlap <= 1:
            raise ValueError("full_overlap must be in (0, 1]")
        if min(self.window_days, self.together_days, self.long_lag_days, self.future_tolerance_days) < 0:
            raise ValueError("day thresholds must be >= 0")
        if self.together_days > self.long_lag_days:
            raise ValueError("together_days must not exceed long_lag_days")


@dataclass(frozen=True)
class GroupThresholds:
    """RQ3 groups (arXiv:2508.10157, Sec. "RQ3"): maturity by age and by commits, and contributors.

    Each tuple lists the lower bounds of the groups after the first, e.g. age (365, 730) gives
    "< 365 d", "365-729 d", ">= 730 d".
    """

    age_days: tuple[int, int] = (365, 730)
    commits: tuple[int, int] = (20, 100)
    contributors: tuple[int, int] = (2, 10)

    def sql_variables(self) -> dict[str, int]:
        """The values as the ``getvariable`` names used by ``sql/queries/sync_rq3_groups.sql``."""
        return {
            "age_mid_days": self.age_days[0],
            "age_high_days": self.age_days[1],
            "commits_mid": self.commits[0],
            "commits_high": self.commits[1],
            "contributors_mid": self.contributors[0],
            "contributors_high": self.contributors[1],
        }
