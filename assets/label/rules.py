"""The rules labeller: deterministic, offline, the default and the baseline every LLM is compared with.

Each label of ``taxonomy.json`` (the 15 categories and the 4 labels outside them) carries message
patterns and path patterns. A commit's score for a label is its weight times (1 for a title hit,
0.5 for a hit elsewhere in the message, plus 1.5 times the share of changed paths that match). The
highest score wins; ties go to the label listed first. Paths weigh more than words because the
taxonomy classifies what a commit changes, and the files say that even when the message is empty,
generic ("Update") or not in English. ``bug_fix`` weighs little, so a fix whose artefact is named
("fix tokenizer padding") takes that artefact's category, as the taxonomy's definition asks.

A commit with no signal at all gets its platform's fallback, ``unclear`` on both platforms: a guess
(say the paper's most frequent category) would inflate that category's share, while ``unclear`` is
left out of the shares as the paper leaves out its own unclear commits. A merge with nothing of its
own gets the merge fallback (project metadata: source-control housekeeping). All three are
taxonomy.json's ``fallback`` block, come with confidence 0 and say so in the rationale, so they can
be told apart from real matches.
"""

from __future__ import annotations

from dataclasses import dataclass

from assets.label.commit_text import CommitText
from assets.label.taxonomy import Taxonomy, load_taxonomy

TITLE_HIT, BODY_HIT, PATH_SHARE = 1.0, 0.5, 1.5


@dataclass(frozen=True)
class RuleLabel:
    category: str
    confidence: float  # winner's share of all scores; 0 when no rule matched
    rationale: str


def rules_version(taxonomy: Taxonomy | None = None) -> str:
    """Stored as ``prompt_version`` of rules labels: changes whenever the taxonomy file does."""
    tax = taxonomy or load_taxonomy()
    return f"rules-{tax.version}-{tax.digest}"


def label_commit(commit: CommitText, taxonomy: Taxonomy | None = None) -> RuleLabel:
    """Label one commit by the taxonomy's patterns (pure; microseconds per commit)."""
    tax = taxonomy or load_taxonomy()
    title, _, body = commit.shown_text.partition("\n")  # what the content hash covers, so one hash, one label
    paths = commit.shown_paths
    scores: list[tuple[float, str, str]] = []
    for cat in tax.categories:
        score, why = 0.0, []
        message_re, path_re = cat.message_re, cat.path_re
        if message_re is not None and message_re.search(title):
            score += TITLE_HIT
            why.append("title")
        if message_re is not None and body and message_re.search(body):
            score += BODY_HIT
            why.append("message")
        if paths and path_re is not None:
            matched = sum(1 for path in paths if path_re.search(path))
            if matched:
                score += PATH_SHARE * matched / len(paths)
                why.append(f"{matched}/{len(paths)} paths")
        if score:
            scores.append((score * cat.weight, cat.key, "+".join(why)))
    if not scores:
        if commit.is_merge:
            return RuleLabel(tax.fallback["merge"], 0.0, "merge commit with no content of its own")
        fallback = tax.fallback[commit.platform]
        return RuleLabel(fallback, 0.0, f"no rule matched; the {commit.platform} fallback")
    order = {key: i for i, key in enumerate(tax.keys)}
    best_score, best_key, why = max(scores, key=lambda s: (s[0], -order[s[1]]))
    confidence = best_score / sum(s[0] for s in scores)
    return RuleLabel(best_key, round(confidence, 3), f"rules: {why}")
