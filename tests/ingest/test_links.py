"""Choosing a model's upstream repository among the GitHub links of its card."""

from __future__ import annotations

import re

import pytest

from assets.ingest.links import check_repo_name, choose_repo, github_links, parse_repo


def test_links_are_found_at_any_depth_and_in_the_readme():
    card = {"repository": "https://github.com/a/b", "model-index": [{"source": {"url": "https://github.com/c/d."}}]}
    readme = "Code: [here](https://github.com/e/f/tree/main/src), see also github.com/a/b"
    assert github_links(card, readme) == ["https://github.com/a/b", "https://github.com/c/d",
                                          "https://github.com/e/f/tree/main/src", "github.com/a/b"]


def test_parse_repo_accepts_real_links_and_rejects_malformed_ones():
    assert parse_repo("https://github.com/Org/Repo.git") == "Org/Repo"
    assert parse_repo("https://www.github.com/org/repo/tree/main/eval") == "org/repo"
    for bad in ("https://github.com/", "https://github.com//", "github.com/only-owner", "https://github.com/orgs/x",
                "https://gitlab.com/a/b", "not a url"):
        assert parse_repo(bad) is None, bad


def test_the_authors_own_repository_beats_libraries_and_order():
    links = ["https://github.com/huggingface/transformers", "https://github.com/friend/tools",
             "https://github.com/Qwerty-AI/tiny"]
    assert choose_repo(links, "qwerty_ai") == ("Qwerty-AI/tiny", None)  # Hub allows "_" where GitHub has "-"
    assert choose_repo(links, "someone-else") == ("friend/tools", None)


def test_no_usable_link_says_why():
    assert choose_repo([], "a")[1] == "no GitHub link in the model card"
    assert "malformed" in choose_repo(["https://github.com/"], "a")[1]
    assert "libraries" in choose_repo(["https://github.com/huggingface/peft"], "a")[1]


def test_only_links_to_repositories_on_github_com_count():
    hostile = ["notgithub.com/evil/payload", "https://gist.github.com/victim/0123abcd",
               "https://api.github.com/repos/victim/repo", "evil.example/github.com/victim/repo",
               "https://user:pw@github.com/victim/repo", "http://github.com:8080/victim/repo", "ftp://github.com/a/b"]
    for link in hostile:
        assert parse_repo(link) is None, link
    readme = "Code: " + " ".join(hostile)
    links = github_links({}, readme)
    assert links == hostile  # all kept for the audit trail ...
    chosen, issue = choose_repo(links, "victim")
    assert chosen is None and all(link in issue for link in hostile[:3])  # ... and named in the reason


def test_names_follow_each_platforms_rules():
    assert check_repo_name("github", "Org-1/repo.name_2") == "Org-1/repo.name_2"
    assert check_repo_name("hub", "org/model-7b.v1") == "org/model-7b.v1" and check_repo_name("hub", "gpt2") == "gpt2"
    for platform, bad in [("github", "../etc"), ("github", "a/b/c"), ("github", "-a/b"), ("github", "a/.."),
                          ("github", "a" * 40 + "/b"), ("github", "a/b c"), ("github", "https://evil.example/a"),
                          ("hub", "../passwd"), ("hub", "a/b/c"), ("hub", "a--b/c"), ("hub", "a/b.git"), ("hub", "")]:
        with pytest.raises(ValueError, match=re.escape(repr(bad))):
            check_repo_name(platform, bad)
