"""Agreement of a labeller with the hand labels: Cohen's kappa and the confusion matrix.

Kappa (Cohen 1960) is ``(p_o - p_e) / (1 - p_e)``: observed agreement corrected for the
agreement two raters with the same marginal frequencies would reach by chance. The paper reports
it per platform for its LLM against 1,600 hand labels (0.79 GitHub, 0.72 Hub). A commit the
labeller left unlabelled counts as a disagreement (its own "no label" class), so a labeller
cannot raise its kappa by abstaining.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

NO_LABEL = "(none)"


def cohen_kappa(gold: Sequence[str], predicted: Sequence[str | None]) -> float:
    """Cohen's kappa of two label sequences of equal length.

    Degenerate cases: no items is an error; when chance agreement is total (both raters used one
    and the same single class) kappa is 1.0 if they agree everywhere, which they then do.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"kappa needs paired labels: {len(gold)} gold vs {len(predicted)} predicted")
    n = len(gold)
    if n == 0:
        raise ValueError("kappa of zero items is undefined")
    pred = [p if p is not None else NO_LABEL for p in predicted]
    p_o = sum(g == p for g, p in zip(gold, pred, strict=True)) / n
    gold_counts, pred_counts = Counter(gold), Counter(pred)
    p_e = sum(gold_counts[c] * pred_counts[c] for c in gold_counts) / (n * n)
    if p_e == 1.0:
        return 1.0
    return (p_o - p_e) / (1 - p_e)


def confusion_markdown(gold: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str]) -> str:
    """The confusion matrix (rows: gold, columns: predicted) as a markdown table for the UI.

    Only classes that occur are shown, in taxonomy order, plus "(none)" when some commits got no label.
    """
    pred = [p if p is not None else NO_LABEL for p in predicted]
    seen = set(gold) | set(pred)
    classes = [c for c in labels if c in seen] + ([NO_LABEL] if NO_LABEL in seen else [])
    cells = Counter(zip(gold, pred, strict=True))
    head = "| gold \\ predicted | " + " | ".join(f"`{c}`" for c in classes) + " |"
    rule = "|---|" + "---:|" * len(classes)
    rows = [
        f"| `{g}` | " + " | ".join(str(cells[(g, p)]) if cells[(g, p)] else "." for p in classes) + " |"
        for g in classes
        if g != NO_LABEL
    ]
    return "\n".join([head, rule, *rows])
