"""Build the sample data dir: API JSON in the real response shapes plus bare git repositories.

Deterministic: one seeded generator drives every choice and commit times are fixed, so the same
spec always yields the same commit shas. Histories are written with ``git fast-import`` (a few
thousand commits take about a second). Layout (what the local server and other stages read)::

    hub/models/<repo_id>/info.json          model_info in the Hub's shape (siblings filled at serve time)
    github/repos/<owner>/<repo>/repo.json    GET /repos/{owner}/{repo} (url fields filled at serve time)
    github/repos/<owner>/<repo>/contributors.json
    git/hub/<repo_id>.git                    bare repository served at {hf_endpoint}/{repo_id}
    git/github/<owner>/<repo>.git            bare repository served at {github_git}/{owner}/{repo}.git
    states.json                              special states: renamed GitHub repos, Hub tokens, rate limits
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import random
import shutil
import subprocess
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from localapi.sample.specs import SAMPLE, Burst, GitHubRepoSpec, HubModelSpec, SampleSpec

SAMPLE_VERSION = "5"
"""Bump when the spec or the generator changes, so a reused data dir is rebuilt."""

SAMPLE_HUB_TOKEN = "hf_sample_reader_token"
"""The token that the local Hub accepts for gated and private repositories."""

_GH_AUTHORS = [
    ("Ana Souza", "ana@users.noreply.github.com"),
    ("Wei Zhang", "wzhang@example.org"),
    ("Priya Nair", "priya.nair@example.edu"),
    ("Jonas Berg", "jberg@example.com"),
    ("Fatima Al-Sayed", "fatima@users.noreply.github.com"),
    ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
]
_TZ = ["+0000", "+0100", "+0200", "-0700", "+0800", "+0530"]

_GH_MESSAGES = [
    ("Fix learning-rate warmup in {f}", ["train.py", "configs/pretrain.yaml"]),
    ("Add evaluation script for {task}", ["scripts/evaluate.py", "scripts/eval.sh"]),
    ("Update requirements", ["requirements.txt"]),
    ("Bump transformers from 4.{n}.0 to 4.{m}.0", ["requirements.txt"]),
    ("Refactor attention module", ["model/attention.py", "model/modeling.py"]),
    ("Fix off-by-one in data collator", ["data/collator.py"]),
    ("Add unit tests for tokenizer", ["tests/test_tokenizer.py"]),
    ("Update README with Hub links", ["README.md"]),
    ("Docs: explain fine-tuning recipe", ["docs/finetune.md", "README.md"]),
    ("Merge pull request #{n} from {user}/{branch}", ["model/modeling.py"]),
    ("Release v{v}: new checkpoints on the Hub", ["README.md", "CHANGELOG.md"]),
    ("Add conversion script to Hugging Face format", ["scripts/convert_to_hf.py"]),
    ("Support bf16 mixed precision", ["train.py", "utils/precision.py"]),
    ("Fix typo", ["README.md"]),
    ("Add license", ["LICENSE"]),
    ("Speed up data loading with memory-mapped shards", ["data/loader.py"]),
    ("Add gradient checkpointing", ["model/modeling.py", "configs/pretrain.yaml"]),
    ("CI: run tests on Python 3.11", [".github/workflows/ci.yml"]),
    ("Fix evaluation on {task}", ["scripts/evaluate.py"]),
    ("Update model config for {size} variant", ["configs/{size}.yaml"]),
]
_GH_BODIES = [
    "",
    "The scheduler started at step 1 instead of 0.",
    "Closes #{n}.",
    "Co-authored-by: Wei Zhang <wzhang@example.org>",
    "Results are in the table below; numbers match the paper within noise.",
]
_HUB_MESSAGES = [
    ("Upload folder using huggingface_hub", ["config.json", "model.safetensors", "tokenizer.json"]),
    ("Update README.md", ["README.md"]),
    ("Upload config.json", ["config.json"]),
    ("Update config.json", ["config.json"]),
    ("Upload tokenizer", ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]),
    ("Upload model.safetensors with git-lfs", ["model.safetensors"]),
    ("Add generation_config.json", ["generation_config.json"]),
    ("Upload {shard}", ["{shard}"]),
    ("Adding `safetensors` variant of this model", ["model.safetensors"]),
    ("Update tokenizer_config.json", ["tokenizer_config.json"]),
    ("Add model card", ["README.md"]),
    ("Upload MistralForCausalLM", ["config.json", "generation_config.json", "{shard}"]),
]
_TASKS = ["GLUE", "SuperGLUE", "XNLI", "SQuAD", "MMLU", "HellaSwag", "summarization"]


def build_sample(data_dir: Path | str, force: bool = False, spec: SampleSpec = SAMPLE) -> Path:
    """Build (or reuse, when it is current) the sample under ``data_dir``; returns the folder.

    Only an empty (or missing) folder or an earlier sample (``SAMPLE_VERSION`` present) is written:
    a hand-made data dir is refused rather than overwritten.
    """
    data_dir = Path(data_dir)
    marker = data_dir / "SAMPLE_VERSION"
    if not force and marker.exists() and marker.read_text().strip() == SAMPLE_VERSION:
        return data_dir
    if not marker.exists() and data_dir.is_dir() and any(data_dir.iterdir()):
        raise FileExistsError(
            f"{data_dir} is not empty and holds no sample (no SAMPLE_VERSION): refusing to overwrite it; "
            "serve it as it is with `python -m localapi --no-sample`, or choose an empty folder"
        )
    for sub in ("hub/models", "github", "git"):
        shutil.rmtree(data_dir / sub, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(spec.seed)
    renamed: dict[str, str] = {}
    for fam in spec.families:
        # a replayed family draws from its own generator, so adding one leaves the others' shas unchanged
        fam_rng = random.Random(f"{spec.seed}:{fam.github.full_name}") if fam.github.history else rng
        gh_times = _write_github(data_dir, fam.github, fam_rng)
        if fam.github.renamed_from:
            renamed[fam.github.renamed_from] = fam.github.full_name
        for model in fam.hub:
            _write_hub(data_dir, model, fam_rng, gh_times)
    for model in spec.extra_models:
        _write_hub(data_dir, model, rng, [])
    states = {
        "github_renamed": renamed,
        "hub_tokens": [SAMPLE_HUB_TOKEN],
        "rate_limits": {"hub": {"limit": 1000, "window_s": 300}, "github": {"limit": 5000, "window_s": 3600}},
    }
    (data_dir / "states.json").write_text(json.dumps(states, indent=2))
    marker.write_text(SAMPLE_VERSION + "\n")
    return data_dir


# -- timelines ----------------------------------------------------------------------------------


def _times(bursts: tuple[Burst, ...], rng: random.Random) -> list[datetime]:
    out = []
    for b in bursts:
        start = datetime.fromisoformat(b.start).replace(tzinfo=UTC, hour=8)
        span = b.days * 86400
        out += [start + timedelta(seconds=rng.randrange(span)) for _ in range(b.commits)]
    return sorted(out)


def _fill(template: str, rng: random.Random) -> str:
    n = rng.randrange(2, 400)
    return template.format(
        f="train.py",
        task=rng.choice(_TASKS),
        n=n,
        m=n % 40 + 10,
        user=rng.choice(["wzhang", "priya-n", "jberg", "ana-s"]),
        branch=rng.choice(["fix-eval", "bf16", "docs", "refactor-attn"]),
        v=f"{rng.randrange(0, 3)}.{rng.randrange(0, 10)}",
        size=rng.choice(["base", "large", "7b"]),
        shard=f"model-0000{rng.randrange(1, 4)}-of-00003.safetensors",
    )


# -- GitHub -------------------------------------------------------------------------------------


def _write_github(root: Path, spec: GitHubRepoSpec, rng: random.Random) -> list[datetime]:
    owner, name = spec.full_name.split("/")
    times = _times(spec.bursts, rng)
    commits = []
    for i, when in enumerate(times):
        author = rng.choice(_GH_AUTHORS[:4] if i % 9 else _GH_AUTHORS)
        if i == 0:
            title, files, body = "Initial commit", ["README.md", ".gitignore", "LICENSE"], ""
        else:
            template, paths = rng.choice(_GH_MESSAGES)
            title, body = _fill(template, rng), _fill(rng.choice(_GH_BODIES), rng)
            files = [_fill(p, rng) for p in paths]
        message = (title + ("\n\n" + body if body else "") + "\n").encode()
        commits.append((when, rng.choice(_TZ), author, message, files))
    if spec.odd_messages and len(commits) > 20:
        # a Latin-1 message without an encoding header, and a 300 kB log dump pasted into a message
        w, tz, a, _, f = commits[7]
        commits[7] = (w, tz, a, "Fix tokenizer for caf\xe9 na\xefve text (\xa9 data)\n".encode("latin-1"), f)
        w, tz, a, _, f = commits[13]
        dump = "".join(f"step {k}: loss={2.5 - k / 40000:.5f} lr=3e-4\n" for k in range(9000))
        commits[13] = (w, tz, a, ("Add training log of the 7b run\n\n" + dump).encode(), ["logs/train.txt"])
    git_dir = root / "git" / "github" / owner / f"{name}.git"
    _fast_import(git_dir, commits, lfs=False)
    if spec.history:
        times = _replay(git_dir, spec.history)
    created = (times[0] if times else datetime(2024, 2, 1, tzinfo=UTC)) - timedelta(hours=2)
    pushed = times[-1] if times else created
    repo = {
        "id": rng.randrange(10**8, 10**9),
        "node_id": f"R_kgDO{rng.randrange(10**6, 10**7)}",
        "name": name,
        "full_name": spec.full_name,
        "private": False,
        "owner": {"login": owner, "id": rng.randrange(10**6, 10**8), "type": "Organization", "site_admin": False},
        "description": spec.description,
        "fork": False,
        "created_at": _iso(created),
        "updated_at": _iso(pushed),
        "pushed_at": _iso(pushed),
        "homepage": None,
        "size": 120 + len(times) * 3,
        "stargazers_count": spec.stars,
        "watchers_count": spec.stars,
        "forks_count": spec.forks,
        "open_issues_count": spec.stars // 40,
        "language": "Python",
        "license": {"key": "apache-2.0", "name": "Apache License 2.0", "spdx_id": "Apache-2.0"},
        "archived": False,
        "disabled": False,
        "default_branch": "main",
        "topics": ["nlp", "language-model", "transformers"],
    }
    folder = root / "github" / "repos" / owner / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "repo.json").write_text(json.dumps(repo, indent=1))
    logins = ["ana-s", "wzhang", "priya-n", "jberg", "fatima-as"] + [f"contrib{k}" for k in range(spec.contributors)]
    contributors = [
        {"login": login, "id": 1000 + k, "type": "User", "contributions": max(1, len(times) // (k + 2))}
        for k, login in enumerate(logins[: spec.contributors])
    ]
    (folder / "contributors.json").write_text(json.dumps(contributors, indent=1))
    return times


# -- Hub ----------------------------------------------------------------------------------------


def _write_hub(root: Path, spec: HubModelSpec, rng: random.Random, gh_times: list[datetime]) -> None:
    owner = spec.repo_id.split("/")[0]
    times = _times(spec.bursts, rng)
    if spec.commit_days:
        times = [datetime.fromisoformat(row["day"]).replace(tzinfo=UTC) for row in csv.DictReader(_vendored(spec.commit_days))]
    if spec.cochanges and gh_times:
        times = sorted(times + [t + timedelta(hours=rng.uniform(1, 40)) for t in rng.sample(gh_times, spec.cochanges)])
    commits = []
    author = (owner, f"{owner}@users.noreply.huggingface.co")
    for i, when in enumerate(times):
        if i == 0:
            title, files = "initial commit", [".gitattributes"]
        else:
            template, paths = rng.choice(_HUB_MESSAGES)
            title, files = _fill(template, rng), [_fill(p, rng) for p in paths]
        commits.append((when, "+0000", author, (title + "\n").encode(), files))
    git_dir = root / "git" / "hub" / f"{spec.repo_id}.git"
    sha = _fast_import(git_dir, commits, lfs=True)
    tags = [spec.library_name, "safetensors", spec.pipeline_tag, *spec.languages, "license:apache-2.0"]
    if spec.base_model:
        tags += [f"base_model:{spec.base_model}", f"base_model:finetune:{spec.base_model}"]
    card = {"license": "apache-2.0", "language": list(spec.languages), "pipeline_tag": spec.pipeline_tag}
    if spec.base_model:
        card["base_model"] = spec.base_model
    if spec.card_links:
        card["repository"] = spec.card_links[0]
        if len(spec.card_links) > 1:
            card["links"] = list(spec.card_links[1:])
    info = {
        "_id": f"{rng.getrandbits(96):024x}",
        "id": spec.repo_id,
        "modelId": spec.repo_id,
        "author": owner,
        "sha": sha,
        "lastModified": _iso(times[-1], ms=True),
        "createdAt": _iso(times[0], ms=True),
        "private": spec.private,
        "gated": spec.gated,
        "disabled": False,
        "downloads": spec.downloads,
        "likes": spec.likes,
        "library_name": spec.library_name,
        "tags": tags,
        "pipeline_tag": spec.pipeline_tag,
        "cardData": card,
        "spaces": [],
        "_sample": asdict(spec) | {"bursts": [asdict(b) for b in spec.bursts]},
    }
    folder = root / "hub" / "models" / spec.repo_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "info.json").write_text(json.dumps(info, indent=1))
    if spec.readme_links:
        files = folder / "files"
        files.mkdir(exist_ok=True)
        links = "\n".join(f"- Training and evaluation code: [{link}]({link})" for link in spec.readme_links)
        (files / "README.md").write_text(f"---\nlicense: apache-2.0\n---\n# {spec.repo_id}\n\n{links}\n")
        (files / "config.json").write_text(json.dumps({"model_type": "t5", "d_model": 1024}))


# -- git ----------------------------------------------------------------------------------------

Commit = tuple[datetime, str, tuple[str, str], bytes, list[str]]


def _fast_import(git_dir: Path, commits: list[Commit], lfs: bool) -> str | None:
    """Create a bare repository holding ``commits`` on ``main``; returns the head sha (None if empty)."""
    git_dir.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(git_dir)], check=True)
    for key, value in (("uploadpack.allowFilter", "true"), ("uploadpack.allowAnySHA1InWant", "true"), ("http.receivepack", "false")):
        subprocess.run(["git", "--git-dir", str(git_dir), "config", key, value], check=True)
    if not commits:
        return None
    out = bytearray()
    present: set[str] = set()
    for n, (when, tz, (name, email), message, files) in enumerate(commits):
        stamp = f"{int(when.timestamp())} {tz}".encode()  # epoch seconds are UTC; tz is the author's zone
        ops = bytearray()
        for path in files:
            if n > 5 and path in present and path not in ("README.md", "config.json") and n % 23 == 0:
                ops += b"D " + path.encode() + b"\n"
                present.discard(path)
                continue
            content = _content(path, n, lfs)
            ops += b"M 100644 inline " + path.encode() + b"\n" + _data(content)
            present.add(path)
        ident = f"{name} <{email}> ".encode() + stamp
        out += b"commit refs/heads/main\n"
        out += b"author " + ident + b"\ncommitter " + ident + b"\n" + _data(message)
        out += ops + b"\n"
    subprocess.run(["git", "--git-dir", str(git_dir), "fast-import", "--quiet"], input=bytes(out), check=True)
    head = subprocess.run(["git", "--git-dir", str(git_dir), "rev-parse", "main"], capture_output=True, text=True, check=True)
    return head.stdout.strip()


def _vendored(name: str) -> list[str]:
    """The lines of a file vendored in ``sample/data/`` (gunzipped when it ends in ``.gz``)."""
    path = Path(__file__).parent / "data" / name
    return (gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()).decode().splitlines()


def _replay(git_dir: Path, history: str) -> list[datetime]:
    """Replay a vendored real history onto ``main`` of ``git_dir``; returns its committer times (UTC).

    Each commit keeps its parents (merges included), author, committer, dates with their offsets,
    message and changed paths (as against its first parent); contents are placeholders, so the shas
    differ from the real ones.
    """
    marks: dict[str, int] = {}
    trees: dict[str, dict[str, bytes]] = {}  # sha -> {path: placeholder content} after that commit
    out = bytearray()
    for n, c in enumerate(json.loads("\n".join(_vendored(history)))["commits"], 1):
        marks[c["sha"]] = n
        files = trees[c["sha"]] = dict(trees[c["parents"][0]]) if c["parents"] else {}
        out += (b"" if c["parents"] else b"reset refs/heads/main\n") + f"commit refs/heads/main\nmark :{n}\n".encode()
        for role in ("author", "committer"):
            when = datetime.fromisoformat(c[role]["date"])
            out += f"{role} {c[role]['name']} <{c[role]['email']}> {int(when.timestamp())} {when:%z}\n".encode()
        out += _data(c["message"].encode())
        out += "".join(f"{'merge' if k else 'from'} :{marks[p]}\n" for k, p in enumerate(c["parents"])).encode()
        for status, *paths in c["changes"]:
            old = files.pop(paths[0]) if status[0] in "DR" else b""
            if old:
                out += f"D {paths[0]}\n".encode()
            if status[0] == "D":
                continue
            # a renamed file keeps its placeholder (a line longer when edited), so git pairs it again
            body = old + (b"" if status == "R100" else f"# revision {n}\n".encode()) if old else _content(paths[-1], n, False)
            files[paths[-1]] = body
            out += f"M 100644 inline {paths[-1]}\n".encode() + _data(body)
        out += b"\n"
    subprocess.run(["git", "--git-dir", str(git_dir), "fast-import", "--quiet"], input=bytes(out), check=True)
    log = subprocess.run(["git", "--git-dir", str(git_dir), "log", "--format=%ct", "main"], capture_output=True, text=True, check=True)
    return sorted(datetime.fromtimestamp(int(t), UTC) for t in log.stdout.split())


def _content(path: str, n: int, lfs: bool) -> bytes:
    if lfs and path.endswith((".safetensors", ".bin")):
        digest = hashlib.sha256(f"{path}@{n}".encode()).hexdigest()  # a realistic LFS pointer, not weights
        return f"version https://git-lfs.github.com/spec/v1\noid sha256:{digest}\nsize {10**9 + n}\n".encode()
    return f"# {path}\n# revision {n}\n".encode()


def _data(payload: bytes) -> bytes:
    return b"data " + str(len(payload)).encode() + b"\n" + payload + b"\n"


def _iso(when: datetime, ms: bool = False) -> str:
    text = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return text + (".000Z" if ms else "Z")
