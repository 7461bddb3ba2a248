"""Pictures for the Dagster UI: the pattern distribution and each family's two timelines.

Each returns markdown with the plot inline (:func:`assets.ui_images.png_markdown`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.ticker import MaxNLocator

from assets.ui_images import png_markdown

_COLORS = {"github": "#24292f", "hub": "#ff9d00"}


def pattern_distribution(patterns: pl.DataFrame) -> str:
    """Horizontal bars of pairs per pattern (rows of ``out.sync_rq2_patterns``), as markdown."""
    rows = patterns.sort("position", descending=True)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    bars = ax.barh(rows["pattern"].to_list(), rows["n_pairs"].to_list(), color="#4c72b0")
    total = max(int(rows["n_pairs"].sum()), 1)
    for bar, n in zip(bars, rows["n_pairs"].to_list(), strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {n} ({100 * n / total:.1f}%)", va="center")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("pairs (Hub variant, GitHub repository)")
    ax.set_title("Synchronization patterns (RQ2)")
    ax.margins(x=0.25)
    return png_markdown(fig, "pattern distribution")


def family_timelines(timeline: pl.DataFrame, pairs: pl.DataFrame, family_key: str, max_variants: int = 12) -> str:
    """One family's GitHub timeline above each variant's Hub timeline; shared commits filled, isolated hollow."""
    shown = pairs.sort("n_hub_commits", descending=True).head(max_variants)
    github = timeline.filter(pl.col("platform") == "github").unique("sha")
    rows = [("GitHub", github)] + [
        (f"{v}\n{pattern or 'excluded'}", timeline.filter((pl.col("platform") == "hub") & (pl.col("hub_repo") == v)))
        for v, pattern in shown.select("hub_repo", "pattern").iter_rows()
    ]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(rows) + 1.2))
    for y, (label, frame) in enumerate(reversed(rows)):
        color = _COLORS["github" if label == "GitHub" else "hub"]
        for shared, face in ((True, color), (False, "none")):
            part = frame.filter(pl.col("shared") == shared)
            if part.height:
                ax.scatter(part["commit_time"].to_list(), [y] * part.height, s=28, marker="o",
                           facecolors=face, edgecolors=color, linewidths=0.8)
    ax.set_yticks(range(len(rows)), [label for label, _ in reversed(rows)], fontsize=8)
    ax.set_title(f"{family_key}: commits over time (filled = shared, hollow = isolated)", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    fig.autofmt_xdate()
    return png_markdown(fig, f"{family_key} timelines")
