"""Choosing a model's upstream repository among the GitHub links of its card."""

from __future__ import annotations

from assets.ingest.links import choose_repo, github_links, parse_repo


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
