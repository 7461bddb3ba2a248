"""Evaluate one candidate on task queries with torch + transformers (CUDA bf16 when present, else CPU).

Why it looks like this: at ~50 queries per model the cost is loading weights, so a candidate is
downloaded once through huggingface_hub's cache (``snapshot_download`` at the pinned revision) and
answers all of a round's queries in padded batches. A candidate that cannot be evaluated raises
:class:`~assets.gems.search.CandidateFailed` with the reason (download failed, no weights, needs
``trust_remote_code``, out of memory, garbage), so the search records it and moves on. A
candidate's GPU memory is released when it leaves the oracle's resident set
(:mod:`assets.gems.resident`), at once when that set's share is 0.
"""

from __future__ import annotations

import gc
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import torch

from assets.gems.search import CandidateFailed
from assets.gems.tasks import Task, score

WEIGHT_FILES = ("*.safetensors", "pytorch_model*.bin")


def pick_device() -> tuple[torch.device, torch.dtype]:
    """CUDA in bf16 when a GPU is visible (fp16 on GPUs without bf16), else CPU in fp32."""
    if torch.cuda.is_available():
        return torch.device("cuda"), torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    torch.set_num_threads(max(1, min(4, (os.cpu_count() or 2))))
    return torch.device("cpu"), torch.float32


class OutOfMemory(CandidateFailed):
    """The device ran out of memory: worth a retry once other resident models are released."""


def device_memory_bytes(device: torch.device) -> int:
    """Total memory of ``device``: the GPU's when CUDA, else the machine's physical memory."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[1]
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


@dataclass
class Loaded:
    model: object
    tokenizer: object

    @property
    def nbytes(self) -> int:
        """Memory held by the weights and buffers (what keeping the model loaded costs)."""
        return self.model.get_memory_footprint()


def _reason(exc: BaseException) -> str:
    """A failure reason for the tables: the exception's type and first line (client errors carry
    URLs, never the token)."""
    first = (str(exc).splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first[:200]}"


def download(repo_id: str, revision: str, *, endpoint: str, cache_dir: str | None, token: str | None) -> Path:
    """The candidate's files at ``revision`` through the real client (from the cache when present)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.utils import disable_progress_bars

    disable_progress_bars()  # one bar per candidate file is noise in run logs
    try:
        return Path(snapshot_download(repo_id, revision=revision, endpoint=endpoint, cache_dir=cache_dir, token=token or False))
    except Exception as exc:
        raise CandidateFailed(f"download failed: {_reason(exc)}") from exc


def load(path: Path, device: torch.device, dtype: torch.dtype) -> Loaded:
    """Load a causal LM from a snapshot, refusing custom code and missing weights."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a "Loading weights" bar per candidate is noise in run logs

    config = path / "config.json"
    if not config.is_file():
        raise CandidateFailed("no config.json in the repository")
    try:
        custom_code = "auto_map" in json.loads(config.read_text())
    except (OSError, ValueError) as exc:
        raise CandidateFailed(f"unreadable config.json: {_reason(exc)}") from exc
    if custom_code:
        raise CandidateFailed("requires trust_remote_code (custom modelling code is not run)")
    if not any(any(path.glob(g)) for g in WEIGHT_FILES):
        raise CandidateFailed("no weights (no *.safetensors or pytorch_model*.bin)")
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, trust_remote_code=False).to(device).eval()
    except torch.cuda.OutOfMemoryError as exc:
        raise OutOfMemory("out of memory while loading") from exc
    except Exception as exc:
        raise CandidateFailed(f"failed to load: {_reason(exc)}") from exc
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return Loaded(model, tokenizer)


def release(loaded: Loaded | None) -> None:
    """Drop the model and give its GPU memory back before the next candidate."""
    if loaded is not None:
        del loaded.model
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def answer(loaded: Loaded, task: Task, queries: pl.DataFrame, batch_size: int = 64, max_new_tokens: int = 8) -> pl.DataFrame:
    """Answer ``queries`` (rows of ``task.queries``): query_id, correct, output, tokens, latency_ms.

    Generation is greedy; ``choice`` tasks pick the option with the highest summed log-likelihood.
    On CUDA out-of-memory the batch is halved and retried down to 1, then the candidate fails. An
    error raised inside the model's forward pass fails the candidate, not the search.
    """
    try:
        _sanity_check(loaded, queries["prompt"][0])
    except torch.cuda.OutOfMemoryError:
        release(None)
        raise OutOfMemory("out of memory on the first query") from None
    except RuntimeError as exc:
        raise CandidateFailed(f"failed to answer: {_reason(exc)}") from exc
    rows: list[dict] = []
    start = 0
    while start < queries.height:
        chunk = queries.slice(start, batch_size)
        try:
            t0 = time.perf_counter()
            if task.scorer == "choice":
                outputs, tokens = _choose(loaded, chunk)
            else:
                outputs, tokens = _generate(loaded, chunk["prompt"].to_list(), max_new_tokens)
            latency = (time.perf_counter() - t0) * 1000 / chunk.height
        except torch.cuda.OutOfMemoryError:
            release(None)
            if batch_size == 1:
                raise OutOfMemory("out of memory at batch size 1") from None
            batch_size //= 2
            continue
        except RuntimeError as exc:
            raise CandidateFailed(f"failed to answer: {_reason(exc)}") from exc
        for (qid, ref), out, n in zip(chunk.select("query_id", "reference").iter_rows(), outputs, tokens, strict=True):
            rows.append({"query_id": qid, "correct": score(task.scorer, out, ref), "output": out, "tokens": n, "latency_ms": latency})
        start += chunk.height
    return pl.DataFrame(rows, schema={"query_id": pl.String, "correct": pl.Boolean, "output": pl.String, "tokens": pl.Int32, "latency_ms": pl.Float64})


@torch.inference_mode()
def _sanity_check(loaded: Loaded, prompt: str) -> None:
    """Weights that produce NaN/inf logits answer garbage: fail the candidate before spending queries."""
    enc = loaded.tokenizer([prompt], return_tensors="pt").to(loaded.model.device)
    if not torch.isfinite(loaded.model(**enc).logits.float()).all():
        raise CandidateFailed("garbage: non-finite logits")


@torch.inference_mode()
def _generate(loaded: Loaded, prompts: list[str], max_new_tokens: int) -> tuple[list[str], list[int]]:
    tok, model = loaded.tokenizer, loaded.model
    enc = tok(prompts, return_tensors="pt", padding=True).to(model.device)
    out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tok.pad_token_id)
    new = out[:, enc["input_ids"].shape[1]:]
    texts = tok.batch_decode(new, skip_special_tokens=True)
    counts = ((new != tok.pad_token_id) & (new != tok.eos_token_id)).sum(-1).tolist()
    return texts, counts


@torch.inference_mode()
def _choose(loaded: Loaded, chunk: pl.DataFrame) -> tuple[list[str], list[int]]:
    """Multiple choice: one prefill per (prompt + option); the option with the best log-likelihood."""
    tok, model = loaded.tokenizer, loaded.model
    outputs, counts = [], []
    for prompt, choices in chunk.select("prompt", "choices").iter_rows():
        texts = [prompt + c for c in choices]
        enc = tok(texts, return_tensors="pt", padding=True).to(model.device)
        n_prompt = len(tok(prompt)["input_ids"])
        logp = torch.log_softmax(model(**enc).logits[:, :-1].float(), -1)
        target = enc["input_ids"][:, 1:]
        token_lp = logp.gather(-1, target.unsqueeze(-1)).squeeze(-1) * enc["attention_mask"][:, 1:]
        pads = (enc["attention_mask"] == 0).sum(-1)
        scores = [token_lp[i, pads[i] + n_prompt - 1:].sum().item() for i in range(len(texts))]
        if not all(map(math.isfinite, scores)):
            raise CandidateFailed("garbage: non-finite log-likelihoods")
        best = max(range(len(choices)), key=scores.__getitem__)
        outputs.append(choices[best])
        counts.append(int(enc["attention_mask"].sum()))
    return outputs, counts
