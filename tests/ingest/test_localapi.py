"""The local server speaks the real APIs: the real clients and git get what they would from the platforms."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest
from github import Github, UnknownObjectException
from huggingface_hub import HfApi
from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

from localapi.sample.build import SAMPLE_HUB_TOKEN


def test_list_models_filters_sorts_and_paginates(local_api):
    hub = HfApi(endpoint=local_api.hf_endpoint, token=False)
    local_api.reset()
    models = list(hub.list_models(pipeline_tag="text-generation", sort="downloads", cardData=True, limit=None))
    downloads = [m.downloads for m in models]
    assert downloads == sorted(downloads, reverse=True) and len(models) >= 5
    assert "secret-org/private-lm" not in {m.id for m in models}  # private: invisible anonymously
    assert all(m.pipeline_tag == "text-generation" for m in models)
    # pages of two, followed through the Link header, return the same models in the same order
    paged, url = [], f"{local_api.hf_endpoint}/api/models?pipeline_tag=text-generation&sort=downloads&limit=2"
    while url:
        resp = httpx.get(url)
        paged += [m["id"] for m in resp.json()]
        url = resp.links.get("next", {}).get("url")
    assert paged == [m.id for m in models]
    tree = [m.id for m in hub.list_models(filter="base_model:finetune:glotta-nlp/glotta-7b")]
    assert tree == ["glotta-nlp/glotta-7b-instruct"]


def test_model_commits_and_errors(local_api):
    hub = HfApi(endpoint=local_api.hf_endpoint, token=False)
    info = hub.model_info("glotta-nlp/glotta-7b")
    commits = hub.list_repo_commits("glotta-nlp/glotta-7b")
    assert commits[0].commit_id == info.sha and commits[-1].title == "initial commit"
    assert len({c.commit_id for c in commits}) == len(commits) > 100  # several Link pages, no duplicates
    with pytest.raises(RepositoryNotFoundError):
        hub.model_info("nobody/nothing")
    with pytest.raises(GatedRepoError):
        hub.list_repo_commits("glotta-nlp/glotta-70b")
    authed = HfApi(endpoint=local_api.hf_endpoint, token=SAMPLE_HUB_TOKEN)
    assert len(authed.list_repo_commits("glotta-nlp/glotta-70b")) > 0


def test_github_rest_follows_renames_and_pages(local_api):
    gh = Github(base_url=local_api.github_api, per_page=50)
    repo = gh.get_repo("old-org/legacy-gpt")
    assert repo.full_name == "new-org/legacy-gpt" and repo.default_branch == "main"
    commits = list(repo.get_commits())
    assert len(commits) == repo.get_commits().totalCount == 240
    detail = repo.get_commit(commits[-1].sha)
    assert {f.filename for f in detail.files} == {"README.md", ".gitignore", "LICENSE"}
    assert repo.get_contributors().totalCount == 23
    with pytest.raises(UnknownObjectException):
        gh.get_repo("ghost-user/does-not-exist")


def test_git_partial_clone_of_both_platforms(local_api, tmp_path: Path):
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    for url, name in ((f"{local_api.github_git}/old-org/legacy-gpt.git", "gh"), (f"{local_api.hf_endpoint}/glotta-nlp/glotta-7b", "hub")):
        subprocess.run(["git", "clone", "-q", "--bare", "--filter=blob:none", url, str(tmp_path / name)], check=True, env=env)
    count = subprocess.run(["git", "--git-dir", str(tmp_path / "gh"), "rev-list", "--count", "HEAD"], capture_output=True, text=True)
    assert int(count.stdout) == 240
    gated = subprocess.run(["git", "ls-remote", f"{local_api.hf_endpoint}/glotta-nlp/glotta-70b"], capture_output=True, text=True, env=env)
    assert gated.returncode != 0
