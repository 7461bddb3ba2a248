"""The LLM labeller: batches of commits to any OpenAI-compatible chat endpoint, answers validated.

Why it is shaped like this:
- Cost: one request labels ``batch_size`` (default 25) commits, requests run ``concurrency`` at a
  time, and a run can be capped by new commits and by tokens; the caller caches every valid answer
  by (content hash, model, prompt version), so only commits never answered well cost anything.
- Labels: the model may answer any of the taxonomy's 19 labels, the paper's 15 categories or one
  of the 4 labels it leaves out of every share (bug fix, unclear, uncategorized, add model), as the
  paper's own LLM did.
- Transport: the ``openai`` client's own retry handles 408/409/429/5xx, timeouts and dropped
  connections with exponential backoff that honours ``Retry-After``; this module does not add a
  second layer. When the client gives up, the batch is *failed*: nothing is stored for it, so a
  later run asks again. An endpoint answering HTML (a proxy page, a wrong ``base_url``) or a body
  cut short (a truncated response: the client's raw ``JSONDecodeError``) is failed the same way.
- Progress: each batch's answers are handed to the caller as soon as that batch ends
  (``on_batch``), so the caller stores every good batch before a failure ends the run, and a
  re-run asks only for the batches that were lost.
- Validation: an answer must be JSON naming, for each commit id sent, one label of the taxonomy.
  Commits whose answer is missing, unparseable, duplicated with a conflict or names an unknown
  label are asked once more (together, in one follow-up request); if the second answer is still
  bad they are returned *unlabelled* with the reason. Nothing is guessed, and an unlabelled
  outcome is never cached as an answer (the caller asks again next run).
- Secrets: the API key lives in the client only; errors name the endpoint without credentials.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from assets.label.commit_text import CommitText
from assets.label.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:  # imported where a client is made: every process that loads the code location
    import openai  # (each step's subprocess, the CLI) would otherwise pay its 0.5 s

SYSTEM_PROMPT = """You label commits of machine-learning model repositories: upstream GitHub repositories \
(training code, scripts, configs) and Hugging Face Hub model repositories (weights, model cards, \
deployment files). Give each commit exactly one label: the category that best describes what the \
commit changes, judged from its text and changed files; only when no category fits, one of the other \
labels. Texts may be in any language.

Categories (key: definition; example commit titles):
{categories}

Other labels (not categories; use them only when no category fits):
{others}

Answer with JSON only, in this form:
{{"labels": [{{"id": "<commit id>", "category": "<category or label key>", "confidence": <0 to 1>, \
"rationale": "<at most 20 words>"}}]}}
Give one entry for every commit id you are sent and no other ids."""


def prompt_version(taxonomy: Taxonomy | None = None) -> str:
    """Stored with every LLM label and part of the cache key: a hash of everything sent besides the
    commits (the system prompt and the response schema; the commits are covered by their content
    hash). Derived, not bumped by hand, so it changes exactly when what the model is asked changes:
    a new wording re-labels, a new rules regex or weight (never sent) does not. The taxonomy's
    version leads it, so a stored label says at a glance which taxonomy it was made under."""
    tax = taxonomy or load_taxonomy()
    sent = system_prompt(tax) + json.dumps(response_format(tax), sort_keys=True)
    return f"p-{tax.version}-" + hashlib.sha256(sent.encode()).hexdigest()[:12]


def system_prompt(taxonomy: Taxonomy) -> str:
    """The instructions with each category's definition and examples (the examples anchor the
    definitions on real-looking commits, the few-shot signal the taxonomy carries them for)."""
    lines: dict[bool, list[str]] = {True: [], False: []}
    for c in taxonomy.categories:
        examples = f" E.g. {', '.join(json.dumps(e, ensure_ascii=False) for e in c.examples)}" if c.examples else ""
        lines[c.is_category].append(f"- {c.key}: {c.definition}{examples}")
    return SYSTEM_PROMPT.format(categories="\n".join(lines[True]), others="\n".join(lines[False]))


def response_format(taxonomy: Taxonomy) -> dict[str, Any]:
    """JSON-schema structured output restricted to the taxonomy's 19 keys (servers that honour it
    cannot even produce an unknown label; the answer is validated regardless)."""
    label = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "category": {"type": "string", "enum": list(taxonomy.keys)},
            "confidence": {"type": "number"},
            "rationale": {"type": "string"},
        },
        "required": ["id", "category", "confidence", "rationale"],
        "additionalProperties": False,
    }
    schema = {
        "type": "object",
        "properties": {"labels": {"type": "array", "items": label}},
        "required": ["labels"],
        "additionalProperties": False,
    }
    return {"type": "json_schema", "json_schema": {"name": "commit_labels", "strict": True, "schema": schema}}


@dataclass(frozen=True)
class LLMSettings:
    batch_size: int = 25
    concurrency: int = 4
    max_new_commits: int | None = None
    max_tokens: int | None = None
    timeout_s: float = 120.0
    max_retries: int = 4
    structured_output: bool = True

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.concurrency < 1 or self.max_retries < 0 or self.timeout_s <= 0:
            raise ValueError(f"invalid LLM settings: {self}")


@dataclass
class Outcome:
    """The answer for one commit content (labelled, or unlabelled with the reason)."""

    category: str | None
    reason: str | None = None
    confidence: float | None = None
    rationale: str | None = None
    prompt_tokens: float = 0.0
    completion_tokens: float = 0.0

    @property
    def status(self) -> str:
        return "labelled" if self.category else "unlabelled"


@dataclass
class RunStats:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retried_commits: int = 0
    deferred: int = 0  # not asked because a cap was reached
    failed: int = 0  # asked, but the endpoint failed (nothing stored; asked again next run)
    errors: list[str] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class EndpointError(Exception):
    """The endpoint did not give a usable HTTP answer (after the client's own retries)."""


class InvalidAnswer(Exception):
    """The endpoint answered, but not with labels we can read."""


def safe_url(url: str) -> str:
    """The endpoint URL without user:password, query or fragment, for messages and metadata."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def make_client(base_url: str, api_key: str | None, settings: LLMSettings) -> openai.OpenAI:
    """The real ``openai`` client. Servers that need no key (Ollama, vLLM) still get a placeholder,
    because the client refuses to start without one."""
    import openai

    return openai.OpenAI(
        base_url=base_url, api_key=api_key or "not-needed", max_retries=settings.max_retries, timeout=settings.timeout_s
    )


_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)


def parse_answer(
    content: str | None, ids: Iterable[str], taxonomy: Taxonomy
) -> tuple[dict[str, tuple[str, float | None, str | None]], dict[str, str]]:
    """Validate one answer: (labels by id, reasons by id for the ids without a valid label).

    Accepted: the JSON object asked for, optionally in a markdown code fence, or a bare list of
    label objects. Raises :class:`InvalidAnswer` when the text is not such JSON at all.
    """
    text = _FENCE.sub("", content or "").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidAnswer(f"answer is not JSON ({exc.msg}): {text[:60]!r}") from exc
    entries = data.get("labels") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise InvalidAnswer("answer has no 'labels' list")
    wanted = list(ids)
    found: dict[str, tuple[str, float | None, str | None]] = {}
    reasons: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, dict) or str(entry.get("id")) not in wanted:
            continue  # ids we did not send are ignored, never mapped onto ours
        item_id, category = str(entry["id"]), entry.get("category")
        if category not in taxonomy.keys:
            reasons.setdefault(item_id, f"unknown category {str(category)[:40]!r}")
            continue
        if item_id in found and found[item_id][0] != category:
            reasons[item_id] = "conflicting categories for one commit"
            continue
        confidence = entry.get("confidence")
        confidence = min(1.0, max(0.0, float(confidence))) if isinstance(confidence, int | float) else None
        rationale = entry.get("rationale")
        found[item_id] = (category, confidence, str(rationale)[:300] if rationale else None)
    for item_id in wanted:
        if item_id in reasons:
            found.pop(item_id, None)
        elif item_id not in found:
            reasons[item_id] = "no label returned for this commit"
    return found, reasons


class LLMLabeller:
    """Labels distinct commit contents; thread-safe counters, one client shared by the workers."""

    def __init__(
        self, client: openai.OpenAI, model: str, settings: LLMSettings, taxonomy: Taxonomy | None = None
    ) -> None:
        self.client, self.model, self.settings = client, model, settings
        self.taxonomy = taxonomy or load_taxonomy()
        self.system = system_prompt(self.taxonomy)
        self.stats = RunStats()
        self._lock = threading.Lock()
        self._endpoint = safe_url(str(client.base_url))

    def label(
        self, commits: dict[str, CommitText], on_batch: Callable[[dict[str, Outcome]], None] | None = None
    ) -> dict[str, Outcome]:
        """Answers by content hash for ``commits`` (content hash -> commit), within the caps.

        Commits beyond ``max_new_commits`` or the token budget are counted as deferred; commits of
        a failed batch are counted as failed; neither gets an outcome. Each batch's outcomes go to
        ``on_batch`` in the calling thread as soon as the batch ends, so the caller can store them
        before a later batch fails. A batch that raises something unexpected does not stop the
        others: they end and are handed over first, then that error is raised. If ``on_batch``
        raises, batches not yet started are cancelled and its error is raised.
        """
        todo = list(commits.items())
        cap = self.settings.max_new_commits
        if cap is not None and len(todo) > cap:
            self.stats.deferred += len(todo) - cap
            todo = todo[:cap]
        size = self.settings.batch_size
        batches = [dict(todo[i : i + size]) for i in range(0, len(todo), size)]
        outcomes: dict[str, Outcome] = {}
        unexpected: list[BaseException] = []
        pool = ThreadPoolExecutor(max_workers=self.settings.concurrency, thread_name_prefix="llm-label")
        try:
            for future in as_completed([pool.submit(self._label_batch, batch) for batch in batches]):
                try:
                    result = future.result()
                except Exception as exc:  # a bug, not an endpoint fault (those are failed batches)
                    unexpected.append(exc)
                    continue
                outcomes.update(result)
                if on_batch is not None and result:
                    on_batch(result)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if unexpected:
            raise unexpected[0]
        return outcomes

    # -- one batch ------------------------------------------------------------------------------
    def _within_budget(self, batch: dict[str, CommitText]) -> bool:
        """Whether tokens used so far plus this batch's estimate (4 characters a token, prompt
        and answer) stay within ``max_tokens``. Concurrent batches may overshoot by at most
        ``concurrency`` batches' estimates."""
        if self.settings.max_tokens is None:
            return True
        estimate = (len(self.system) + sum(len(json.dumps(c.prompt_item("c00"))) for c in batch.values())) // 4
        estimate += 40 * len(batch)
        with self._lock:
            return self.stats.tokens + estimate <= self.settings.max_tokens

    def _label_batch(self, batch: dict[str, CommitText]) -> dict[str, Outcome]:
        if not self._within_budget(batch):
            with self._lock:
                self.stats.deferred += len(batch)
            return {}
        ids = {f"c{i:02d}": h for i, h in enumerate(batch)}
        outcomes = {h: Outcome(category=None) for h in batch}
        pending, reasons = dict(ids), {}
        for attempt in range(2):  # the first ask, then one retry of whatever came back bad
            try:
                content, usage = self._ask({i: batch[h] for i, h in pending.items()})
            except EndpointError as exc:  # what is pending is failed; labels already read are kept
                with self._lock:
                    self.stats.failed += len(pending)
                    self.stats.errors.append(str(exc))
                lost = set(pending.values())
                return {h: o for h, o in outcomes.items() if h not in lost}
            share_p, share_c = usage[0] / len(pending), usage[1] / len(pending)
            for h in pending.values():
                outcomes[h].prompt_tokens += share_p
                outcomes[h].completion_tokens += share_c
            try:
                found, reasons = parse_answer(content, pending, self.taxonomy)
            except InvalidAnswer as exc:
                found, reasons = {}, dict.fromkeys(pending, str(exc))
            for item_id, (category, confidence, rationale) in found.items():
                o = outcomes[pending[item_id]]
                o.category, o.confidence, o.rationale = category, confidence, rationale
            pending = {i: pending[i] for i in reasons}
            if not pending:
                break
            if attempt == 0:
                with self._lock:
                    self.stats.retried_commits += len(pending)
        for item_id, h in pending.items():
            outcomes[h].reason = f"invalid answer twice: {reasons[item_id]}"
        return outcomes

    def _ask(self, items: dict[str, CommitText]) -> tuple[str | None, tuple[int, int]]:
        """One chat completion for ``items`` (id -> commit): the answer text and token usage."""
        import openai  # loaded already by the client (make_client); here for its exception types

        user = json.dumps([c.prompt_item(i) for i, c in items.items()], ensure_ascii=False)
        kwargs: dict[str, Any] = {}
        if self.settings.structured_output:
            kwargs["response_format"] = response_format(self.taxonomy)
        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=[{"role": "system", "content": self.system}, {"role": "user", "content": user}],
                temperature=0,
                **kwargs,
            )
        except openai.APIStatusError as exc:
            raise EndpointError(f"{self._endpoint} answered HTTP {exc.status_code} after retries") from None
        except openai.APITimeoutError:
            raise EndpointError(f"{self._endpoint} timed out after retries") from None
        except openai.APIConnectionError:
            raise EndpointError(f"{self._endpoint} could not be reached after retries") from None
        except openai.APIResponseValidationError:
            raise EndpointError(f"{self._endpoint} answered something that is not a chat completion") from None
        except json.JSONDecodeError:  # the client parses a JSON body itself and lets this escape
            raise EndpointError(f"{self._endpoint} answered a JSON body cut short (truncated response?)") from None
        finally:
            with self._lock:
                self.stats.requests += 1
        if isinstance(response, str) or not getattr(response, "choices", None):
            raise EndpointError(f"{self._endpoint} answered something that is not a chat completion (HTML?)")
        usage = response.usage
        tokens = (usage.prompt_tokens or 0, usage.completion_tokens or 0) if usage else (0, 0)
        with self._lock:
            self.stats.prompt_tokens += tokens[0]
            self.stats.completion_tokens += tokens[1]
        return response.choices[0].message.content, tokens
