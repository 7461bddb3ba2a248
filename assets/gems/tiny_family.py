"""A real candidate family made by the project: a tiny GPT-2 adder and its fine-tunes.

Why: the search and the evaluator need models of genuinely different quality that load through
the real huggingface_hub and transformers code paths, offline, in seconds. A 2-layer GPT-2 with a
character tokenizer learns 2-digit addition on CPU; a checkpoint's accuracy climbs with its
training steps (on the shipped task about 3% at 150 steps, 8% at 300, 12% at 450, 51% at 550 and 92% at 900,
as bench/gems.py measures), so continuing the base for different numbers of steps yields
fine-tunes of different quality. Download counts are assigned so they do NOT follow quality: the best fine-tune is one of the least downloaded (a hidden gem).

Everything is deterministic for a seed (fixed torch seed, fixed thread count during training) and
cached: :func:`publish_tiny_family` trains nothing when the family is already published with the
same specification. Training logs what it trains, how far it is and the time left (logger
``assets.gems.tiny_family``), so a first demo is never silent while it waits.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from assets.gems.tasks import addition_pairs, held_out_pairs

log = logging.getLogger(__name__)

BASE_ID = "hubscope/tiny-adder"
VOCAB = ["<pad>", "<eos>", "<unk>", *"0123456789+="]


@dataclass(frozen=True)
class Member:
    """One checkpoint of the family: trained ``steps`` more steps starting from ``parent``."""

    repo_id: str
    parent: str | None  # None: trained from scratch (the base)
    steps: int
    downloads: int
    likes: int = 0
    relation: str = "finetune"


FAMILY: tuple[Member, ...] = (
    Member(BASE_ID, None, 150, 120_000, 40),
    Member("dave/tiny-adder-chat", BASE_ID, 50, 52_000, 25),
    Member("alice/tiny-adder-sft", BASE_ID, 150, 9_100, 12),
    Member("bob/tiny-adder-math", BASE_ID, 300, 3_100, 6),
    Member("erin/tiny-adder-sft-v2", "alice/tiny-adder-sft", 250, 800, 2),
    Member("carol/tiny-adder-pro", BASE_ID, 750, 37, 0),
)
"""Base at 150 steps; fine-tunes at 200 to 900 steps in total (about 2% to 92% accuracy on the
shipped task); the most downloaded fine-tune is nearly the worst and the best is the least downloaded."""

BROKEN: tuple[tuple[str, str], ...] = (
    ("mallory/tiny-adder-remote", "remote_code"),
    ("oscar/tiny-adder-empty", "no_weights"),
)
"""Fine-tunes that cannot be evaluated (custom code; no weight file): the evaluator must skip them."""


def build_tokenizer():  # -> transformers.PreTrainedTokenizerFast
    """A character-level tokenizer (one token per digit or sign) saved as ``tokenizer.json``."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.WordLevel({tok: i for i, tok in enumerate(VOCAB)}, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    core.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>", padding_side="left"
    )


def _new_model():  # -> transformers.GPT2LMHeadModel
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(
        vocab_size=len(VOCAB), n_positions=16, n_embd=64, n_layer=2, n_head=4,
        bos_token_id=1, eos_token_id=1, pad_token_id=0,
    )
    return GPT2LMHeadModel(config)


def _training_batches(seed: int, batch_size: int):
    """Endless batches of "a+b=c<eos>" sequences over pairs outside the held-out task."""
    held = set(held_out_pairs())
    pairs = [p for p in addition_pairs() if p not in held]
    rng = random.Random(seed)
    tok = {t: i for i, t in enumerate(VOCAB)}
    while True:
        batch = rng.sample(pairs, batch_size)
        seqs = [[tok[c] for c in f"{a}+{b}={a + b}"] + [tok["<eos>"]] for a, b in batch]
        width = max(map(len, seqs))
        ids = torch.tensor([[0] * (width - len(s)) + s for s in seqs])
        labels = ids.masked_fill(ids == 0, -100)
        yield ids, (ids != 0).long(), labels


def train(model, steps: int, seed: int, batch_size: int = 128, lr: float = 6e-3, on_step=None) -> None:
    """Continue training ``model`` for ``steps`` AdamW steps (deterministic for a seed);
    ``on_step()`` is called after each step (progress reporting)."""
    torch.manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    model.train()
    batches = _training_batches(seed, batch_size)
    for _ in range(steps):
        ids, mask, labels = next(batches)
        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
        loss = model(input_ids=ids, attention_mask=mask, position_ids=position_ids, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        if on_step:
            on_step()
    model.eval()


TRAIN_THREADS = 1
"""Threads while training. Each step is a few tiny matrix products, so a second thread only adds
synchronisation: measured on this project's 2-core machines under load, 116 ms a step with one
thread against 349 ms with two. Part of the build's identity (the reduction order changes the weights)."""


def spec_hash(family: tuple[Member, ...], seed: int, step_scale: float) -> str:
    """Identity of a family build: same hash, same weights (so a published family is reused)."""
    blob = json.dumps([[asdict(m) for m in family], seed, step_scale, VOCAB, TRAIN_THREADS], sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()


def _info(member: Member, sha: str, n_params: int, created: str) -> dict:
    """model_info JSON in the Hub's shape, with the model-tree tags of a fine-tune."""
    tags = ["transformers", "safetensors", "gpt2", "text-generation", "license:apache-2.0"]
    card: dict = {"license": "apache-2.0", "language": ["en"], "pipeline_tag": "text-generation"}
    if member.parent:
        tags += [f"base_model:{member.parent}", f"base_model:{member.relation}:{member.parent}"]
        card["base_model"] = member.parent
        card["base_model_relation"] = member.relation
    return {
        "_id": sha[:24], "id": member.repo_id, "modelId": member.repo_id, "author": member.repo_id.split("/")[0],
        "sha": sha, "lastModified": created, "createdAt": created, "private": False, "gated": False,
        "disabled": False, "downloads": member.downloads, "downloadsAllTime": member.downloads * 3,
        "likes": member.likes, "library_name": "transformers", "pipeline_tag": "text-generation",
        "tags": tags, "cardData": card, "config": {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"},
        "safetensors": {"parameters": {"F32": n_params}, "total": n_params},
    }


def _write_card(folder: Path, member: Member) -> None:
    front = f"base_model: {member.parent}\n" if member.parent else ""
    (folder / "README.md").write_text(
        f"---\nlicense: apache-2.0\n{front}---\n# {member.repo_id}\n\nA tiny GPT-2 that adds two-digit numbers "
        f"({member.steps} training steps on top of {member.parent or 'a random initialisation'}).\n"
    )


def _tree_sha(folder: Path) -> str:
    digest = hashlib.sha1()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(f.relative_to(folder).as_posix().encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()


def publish_tiny_family(
    data_dir: str | Path, *, seed: int = 0, step_scale: float = 1.0, family: tuple[Member, ...] = FAMILY, broken: bool = True
) -> list[str]:
    """Train (if needed) and publish the family under ``data_dir/hub/models/<repo_id>/``.

    Returns the published repo ids, base first. ``step_scale`` shortens training for tests
    (quality still ordered by steps). A marker file with the specification hash makes a second
    call with the same arguments train nothing; the two broken repositories (a few small files)
    are rewritten on every call with ``broken=True``.
    """
    root = Path(data_dir) / "hub" / "models"
    marker = Path(data_dir) / "hub" / ".tiny_family.json"
    digest = spec_hash(family, seed, step_scale)
    if not (marker.is_file() and json.loads(marker.read_text()).get("spec") == digest):
        log.info("tiny family: not built yet (or its specification changed): training %d checkpoints once", len(family))
        _train_and_publish(root, family, seed, step_scale)
        marker.write_text(json.dumps({"spec": digest, "models": [m.repo_id for m in family]}))
    if broken:
        _publish_broken(root, family[-1].repo_id)
    return [m.repo_id for m in family] + ([rid for rid, _ in BROKEN] if broken else [])


class TrainingProgress:
    """Logs what is training, how far the whole family is, and the time left, every ``every_s`` seconds.

    Why: on a busy 2-core machine the family's ~1,650 steps took minutes with no output, and a
    first demo that is silent for minutes looks hung. The estimate is the mean time per step so far
    times the steps left (steps cost about the same throughout).
    """

    def __init__(self, total_steps: int, every_s: float = 5.0) -> None:
        self.total, self.done, self.every_s = total_steps, 0, every_s
        self.started = self.last = time.monotonic()
        self.member = ""

    def start(self, member: str, index: int, count: int) -> None:
        self.member = f"{member} ({index}/{count})"
        log.info("tiny family: training %s, %d of %d steps done%s", self.member, self.done, self.total, self._left())

    def step(self) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self.last >= self.every_s:
            self.last = now
            log.info("tiny family: training %s, %d of %d steps (%.0f%%)%s", self.member, self.done, self.total,
                     100 * self.done / self.total, self._left())

    def _left(self) -> str:
        if not self.done:
            return ""
        rate = (time.monotonic() - self.started) / self.done
        return f", about {rate * (self.total - self.done):.0f} s left"


def _train_and_publish(root: Path, family: tuple[Member, ...], seed: int, step_scale: float) -> None:
    from transformers.utils import logging as hf_logging

    threads = torch.get_num_threads()
    torch.set_num_threads(TRAIN_THREADS)
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # "Writing model shards" bars said nothing about the real wait
    steps = [max(1, round(m.steps * step_scale)) for m in family]
    progress = TrainingProgress(sum(steps))
    started = time.monotonic()
    try:
        tokenizer = build_tokenizer()
        trained: dict[str, dict] = {}
        for i, (member, n) in enumerate(zip(family, steps, strict=True)):
            progress.start(member.repo_id, i + 1, len(family))
            torch.manual_seed(seed)
            model = _new_model()
            if member.parent:
                model.load_state_dict(trained[member.parent])
            train(model, n, seed + i, on_step=progress.step)
            trained[member.repo_id] = {k: v.clone() for k, v in model.state_dict().items()}
            _publish_model(root, member, model, tokenizer, f"2026-0{1 + i % 9}-1{i % 10}T12:00:00.000Z")
        log.info("tiny family: %d checkpoints trained and published in %.0f s", len(family), time.monotonic() - started)
    finally:
        torch.set_num_threads(threads)
        if bars:
            hf_logging.enable_progress_bar()


def _publish_model(root: Path, member: Member, model, tokenizer, created: str) -> None:
    folder = root / member.repo_id
    files = folder / "files"
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        _write_card(Path(tmp), member)
        if files.exists():
            shutil.rmtree(files)
        files.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(tmp, files)
    n_params = sum(p.numel() for p in model.parameters())
    (folder / "info.json").write_text(json.dumps(_info(member, _tree_sha(files), n_params, created), indent=2))


def _publish_broken(root: Path, source: str) -> None:
    """Children of the base made from ``source``'s files: one needing custom code, one without weights."""
    n_params = json.loads((root / source / "info.json").read_text())["safetensors"]["total"]
    for j, (repo_id, kind) in enumerate(BROKEN):
        member = Member(repo_id, BASE_ID, 0, 400 + 100 * j)
        files = root / repo_id / "files"
        if files.exists():
            shutil.rmtree(files)
        shutil.copytree(root / source / "files", files)
        if kind == "remote_code":
            cfg = json.loads((files / "config.json").read_text())
            cfg["auto_map"] = {"AutoModelForCausalLM": "modeling_adder.AdderForCausalLM"}
            (files / "config.json").write_text(json.dumps(cfg, indent=2))
        else:
            (files / "model.safetensors").unlink()
        _write_card(files, member)
        (root / repo_id / "info.json").write_text(json.dumps(_info(member, _tree_sha(files), n_params, "2026-02-01T12:00:00.000Z"), indent=2))
