"""Evaluation tasks: queries with reference answers, a scorer, and stable query ids.

A task file (JSONL or parquet) has one query per row: ``prompt`` and ``reference``, optionally
``id`` and ``choices`` (a list of strings, for multiple choice scored by log-likelihood; then
``reference`` is the correct choice's text). Without an ``id`` column the query id is a hash of
prompt and reference, so the same question keeps its id across reloads and re-orderings, and
stored outcomes stay attached to it.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

SCORERS = ("exact", "numeric", "choice")
SHIPPED_TASK = Path(__file__).parent / "data" / "two_digit_addition.jsonl"
"""The project's own offline task: 1,000 held-out 2-digit additions (``"37+45="`` -> ``"82"``)."""


@dataclass(frozen=True)
class Task:
    """A named set of queries and how to score answers to them."""

    name: str
    scorer: str
    queries: pl.DataFrame  # query_id, prompt, reference, choices (list[str] or null)

    def __post_init__(self) -> None:
        if self.scorer not in SCORERS:
            raise ValueError(f"task {self.name!r}: unknown scorer {self.scorer!r}; expected one of {SCORERS}")
        if self.queries.is_empty():
            raise ValueError(f"task {self.name!r} has no queries")
        if self.scorer == "choice" and self.queries["choices"].null_count():
            raise ValueError(f"task {self.name!r}: scorer 'choice' needs a 'choices' list on every query")


def query_id(prompt: str, reference: str) -> str:
    """Stable id of a query without its own id: 16 hex digits of SHA-1 over prompt and reference."""
    return hashlib.sha1(json.dumps([prompt, reference]).encode()).hexdigest()[:16]


def load_task_file(path: str | Path, name: str, scorer: str) -> Task:
    """Read a JSONL or parquet task file; a clear error names the file, the line and what is wrong.

    Each row is checked on its own (:func:`_check_row`) because a columnar reader would coerce a bad
    row (a null prompt, choices given as one string) into the frame, or fail on the whole file with
    a parser's message that names neither. A UTF-8 byte-order mark (as some editors write) is
    accepted.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"task file {path} does not exist")
    if path.suffix == ".parquet":
        try:
            rows = pl.read_parquet(path).to_dicts()
        except Exception as exc:
            raise ValueError(f"task file {path} is not valid parquet: {exc}") from exc
        located = [(f"row {i + 1}", row) for i, row in enumerate(rows)]
    else:
        located = list(_jsonl_rows(path))
    if not located:
        raise ValueError(f"task file {path} has no queries")
    columns = set().union(*(row.keys() for _, row in located))
    missing = {"prompt", "reference"} - columns
    if missing:
        raise ValueError(f"task file {path} lacks column(s) {sorted(missing)}; it has {sorted(columns)}")
    records = [_check_row(path, where, row) for where, row in located]
    frame = pl.DataFrame(records, schema={"query_id": pl.String, "prompt": pl.String, "reference": pl.String,
                                          "choices": pl.List(pl.String)})
    dupes = frame.filter(pl.col("query_id").is_duplicated())["query_id"].unique().to_list()
    if dupes:
        raise ValueError(f"task file {path} repeats query id(s) {dupes[:5]}")
    return Task(name, scorer, frame)


def _jsonl_rows(path: Path):
    """(``line N``, object) for each non-blank line; an invalid line is named with the parser's reason."""
    text = path.read_bytes().decode("utf-8-sig", errors="strict") if path.stat().st_size else ""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"task file {path} is not valid JSONL: line {number}: {exc.msg}") from exc
        if not isinstance(row, dict):
            raise ValueError(f"task file {path} line {number}: expected a JSON object, got {type(row).__name__}")
        yield f"line {number}", row


def _check_row(path: Path, where: str, row: dict) -> dict:
    """One query as stored, or a ValueError naming the file, the line (or row) and the problem."""

    def bad(problem: str) -> ValueError:
        return ValueError(f"task file {path} {where}: {problem}")

    for column in ("prompt", "reference"):
        value = row.get(column)
        if value is None:
            raise bad(f"'{column}' is missing or null")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise bad(f"'{column}' must be text, got {type(value).__name__}")
    prompt, reference = str(row["prompt"]), str(row["reference"])
    choices = row.get("choices")
    if choices is not None:
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise bad(f"'choices' must be a list of strings, got {choices!r:.60}")
        if reference not in choices:
            raise bad(f"reference {reference!r} is not one of its choices {choices!r:.80}")
    qid = row.get("id")
    return {"query_id": query_id(prompt, reference) if qid is None else str(qid), "prompt": prompt,
            "reference": reference, "choices": choices}


def load_hub_task(repo_id: str, filename: str, name: str, scorer: str, *, endpoint: str, token: str | None = None, revision: str | None = None) -> Task:
    """Download a task file from a Hub dataset repository (through the real client) and load it."""
    from huggingface_hub import hf_hub_download

    local = hf_hub_download(repo_id, filename, repo_type="dataset", revision=revision, endpoint=endpoint, token=token or False)
    return load_task_file(local, name, scorer)


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def normalise(text: str) -> str:
    """Lower-case, trim, collapse whitespace and drop trailing punctuation."""
    return re.sub(r"\s+", " ", text.strip().lower()).rstrip(".!?")


def score(scorer: str, output: str, reference: str) -> bool:
    """Is ``output`` correct? ``exact``: normalised equality; ``numeric``: first number equals.

    (``choice`` is decided by the evaluator from log-likelihoods; the output it records is the
    chosen option's text, compared here by normalised equality.)
    """
    if scorer == "numeric":
        found = _NUMBER.search(output)
        ref = _NUMBER.search(reference)
        return bool(found and ref) and float(found.group()) == float(ref.group())  # type: ignore[union-attr]
    return normalise(output) == normalise(reference)


def addition_pairs() -> list[tuple[int, int]]:
    """Every 2-digit addition ``a+b`` with ``0 <= a, b <= 99``."""
    return [(a, b) for a in range(100) for b in range(100)]


def held_out_pairs(n: int = 1000, seed: int = 7) -> list[tuple[int, int]]:
    """The pairs of the shipped task; the tiny family never trains on them."""
    pairs = addition_pairs()
    random.Random(seed).shuffle(pairs)
    return sorted(pairs[:n])


def write_addition_task(path: Path = SHIPPED_TASK, n: int = 1000) -> Path:
    """(Re)generate the shipped task file; deterministic, so the file in git never changes."""
    lines = [json.dumps({"prompt": f"{a}+{b}=", "reference": str(a + b)}) for a, b in held_out_pairs(n)]
    path.write_text("\n".join(lines) + "\n")
    return path
