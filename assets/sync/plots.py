"""Pictures for the Dagster UI: the pattern distribution and each family's fortnightly periods.

Each returns markdown with the plot inline (:func:`assets.ui_images.png_markdown`). The family plot
draws exactly what the rules read: one row for GitHub and one per variant, a mark in every active
fortnight, filled where GitHub is active in the same fortnight.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.ticker import MaxNLocator

from assets.ui_images import png_markdown

_COLORS = {"github": "#24292f", "hub": "#ff9d00"}


def pattern_distribution(patterns: pl.DataFrame) -> str:
    """Horizontal bars of families per pattern (rows of ``out.sync_rq2_patterns``), as markdown."""
    rows = patterns.sort("position", descending=True)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    bars = ax.barh(rows["pattern"].to_list(), rows["n_families"].to_list(), color="#4c72b0")
    total = max(int(rows["n_families"].sum()), 1)
    for bar, n in zip(bars, rows["n_families"].to_list(), strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {n} ({100 * n / total:.1f}%)", va="center")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("model families")
    ax.set_title("Synchronization patterns (RQ2)")
    ax.margins(x=0.25)
    return png_markdown(fig, "pattern distribution")


def family_periods(periods: pl.DataFrame, family: dict[str, object], max_variants: int = 12) -> str:
    """One family's fortnights: GitHub above its most active variants; shared fortnights filled."""
    github = set(periods.filter(pl.col("platform") == "github")["period"].to_list())
    hub = periods.filter(pl.col("platform") == "hub")
    top = hub.group_by("repo").agg(pl.len().alias("n")).sort(["n", "repo"], descending=[True, False])
    variants = top.head(max_variants)["repo"].to_list()
    rows = [("GitHub", sorted(github))] + [
        (repo, sorted(hub.filter(pl.col("repo") == repo)["period"].to_list())) for repo in variants]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.4))
    for y, (label, active) in enumerate(reversed(rows)):
        is_github = label == "GitHub"
        color = _COLORS["github" if is_github else "hub"]
        filled = active if is_github else [p for p in active if p in github]
        hollow = [] if is_github else [p for p in active if p not in github]
        for xs, face in ((filled, color), (hollow, "none")):
            if xs:
                ax.scatter(xs, [y] * len(xs), s=36, marker="s", facecolors=face, edgecolors=color, linewidths=0.9)
    ax.set_yticks(range(len(rows)), [label for label, _ in reversed(rows)], fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("fortnight since the family's first commit (period)")
    more = f" (+{top.height - len(variants)} variants not shown)" if top.height > len(variants) else ""
    verdict = family.get("pattern") or f"excluded: {family.get('reason')}"
    ax.set_title(f"{family['family_key']}: {family.get('code') or ''} {verdict}{more}\n"
                 "filled = GitHub active in the same fortnight", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    return png_markdown(fig, f"{family['family_key']} periods")
