"""What the bundled sample contains: model families with deliberately different timeline shapes.

Each family pairs one GitHub repository with its Hub variants. The shapes are chosen so the sync
stage meets several of the study's synchronization patterns (GitHub first then the Hub weeks later,
Hub first, overlapping bursts, disjoint periods, one side abandoned, frequent co-changes), and the
bad inputs of issue 2 are all present: a card linking a nonexistent repository, a renamed GitHub
repository, a gated Hub repository, an empty repository, non-UTF-8 and huge commit messages, a card
with several and with malformed GitHub links, a model under the download threshold and a non-NLP
model. Sizes are realistic: one family has a few thousand commits, the others tens to hundreds.
The last family is real: the sync paper's worked example, replayed from metadata vendored in
``sample/data/`` (see its README).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Burst:
    """``commits`` commits spread over ``days`` days from ``start`` (ISO date)."""

    start: str
    days: int
    commits: int


@dataclass(frozen=True)
class GitHubRepoSpec:
    full_name: str
    bursts: tuple[Burst, ...]
    stars: int
    forks: int
    contributors: int
    description: str
    renamed_from: str | None = None  # the old name still linked from cards; the API answers 301
    odd_messages: bool = False  # add a non-UTF-8 and a huge commit message
    history: str | None = None  # a real history vendored in sample/data/, replayed instead of bursts


@dataclass(frozen=True)
class HubModelSpec:
    repo_id: str
    bursts: tuple[Burst, ...]
    downloads: int
    likes: int
    pipeline_tag: str
    card_links: tuple[str, ...] = ()  # GitHub links written into the card metadata
    readme_links: tuple[str, ...] = ()  # GitHub links only in the README (served as files/README.md)
    base_model: str | None = None  # makes it a fine-tune in the model tree
    gated: str | bool = False  # False, "auto" or "manual"
    private: bool = False
    cochanges: int = 0  # extra commits placed hours after randomly chosen GitHub commits
    library_name: str = "transformers"
    languages: tuple[str, ...] = ("en",)
    commit_days: str | None = None  # a file in sample/data/ listing commit days (one commit each, 00:00 UTC)


@dataclass(frozen=True)
class FamilySpec:
    shape: str  # the timeline shape, for people reading the sync stage's results
    github: GitHubRepoSpec
    hub: tuple[HubModelSpec, ...]


@dataclass(frozen=True)
class SampleSpec:
    families: tuple[FamilySpec, ...]
    extra_models: tuple[HubModelSpec, ...] = field(default_factory=tuple)
    seed: int = 20250814


SAMPLE = SampleSpec(
    families=(
        FamilySpec(
            shape="large, long-lived, frequent co-changes (Hub uploads follow GitHub releases)",
            github=GitHubRepoSpec(
                "glotta-nlp/glotta",
                (Burst("2022-01-10", 150, 900), Burst("2022-06-01", 240, 1500), Burst("2023-02-01", 300, 800)),
                stars=4800,
                forks=610,
                contributors=57,
                description="Glotta: open multilingual language models, training and evaluation code.",
            ),
            hub=(
                HubModelSpec(
                    "glotta-nlp/glotta-7b",
                    (Burst("2022-06-03", 20, 30),),
                    downloads=1_250_000,
                    likes=830,
                    pipeline_tag="text-generation",
                    card_links=("https://github.com/glotta-nlp/glotta",),
                    cochanges=140,
                    languages=("en", "de", "fr", "es"),
                ),
                HubModelSpec(
                    "glotta-nlp/glotta-7b-instruct",
                    (Burst("2022-09-12", 30, 40),),
                    downloads=410_000,
                    likes=390,
                    pipeline_tag="text-generation",
                    card_links=("https://github.com/glotta-nlp/glotta",),
                    base_model="glotta-nlp/glotta-7b",
                    cochanges=50,
                ),
                HubModelSpec(
                    "glotta-nlp/glotta-70b",
                    (Burst("2023-03-01", 60, 25),),
                    downloads=95_000,
                    likes=240,
                    pipeline_tag="text-generation",
                    card_links=("https://github.com/glotta-nlp/glotta",),
                    gated="manual",
                ),
            ),
        ),
        FamilySpec(
            shape="GitHub first, Hub weeks later, then the Hub side abandoned while GitHub goes on",
            github=GitHubRepoSpec(
                "indolab/indobert-lite",
                (Burst("2021-03-01", 60, 120), Burst("2021-06-01", 200, 110)),
                stars=310,
                forks=44,
                contributors=6,
                description="IndoBERT-lite: compact BERT models for Indonesian.",
                odd_messages=True,
            ),
            hub=(
                HubModelSpec(
                    "indolab/indobert-lite-base",
                    (Burst("2021-04-22", 10, 18),),
                    downloads=88_000,
                    likes=21,
                    pipeline_tag="fill-mask",
                    card_links=("https://github.com/indolab/indobert-lite",),
                    languages=("id",),
                ),
                HubModelSpec(
                    "indolab/indobert-lite-large",
                    (Burst("2021-04-25", 12, 14),),
                    downloads=31_000,
                    likes=9,
                    pipeline_tag="fill-mask",
                    card_links=("https://github.com/indolab/indobert-lite",),
                    languages=("id",),
                ),
            ),
        ),
        FamilySpec(
            shape="Hub first, GitHub weeks later; the card links several repositories and malformed URLs",
            github=GitHubRepoSpec(
                "qwerty-ai/tinyqwerty",
                (Burst("2023-03-15", 90, 160),),
                stars=1200,
                forks=95,
                contributors=14,
                description="TinyQwerty: a 1.1B chat model, pretraining recipes and data tools.",
            ),
            hub=(
                HubModelSpec(
                    "qwerty-ai/tinyqwerty-1.1b-chat",
                    (Burst("2023-02-01", 25, 55),),
                    downloads=640_000,
                    likes=512,
                    pipeline_tag="text-generation",
                    card_links=(
                        "https://github.com/huggingface/transformers",
                        "https://github.com/qwerty-ai/tinyqwerty/tree/main/eval",
                        "https://github.com/",
                        "github.com/qwerty-ai",
                        "https://github.com/qwerty-ai/tinyqwerty.git",
                    ),
                ),
            ),
        ),
        FamilySpec(
            shape="overlapping bursts: both sides active in the same two periods",
            github=GitHubRepoSpec(
                "sparse-lab/sparse-t5",
                (Burst("2022-05-01", 30, 130), Burst("2022-10-01", 25, 95)),
                stars=540,
                forks=61,
                contributors=9,
                description="Sparse-T5: mixture-of-experts T5 for summarization.",
            ),
            hub=(
                HubModelSpec(
                    "sparse-lab/sparse-t5-base",
                    (Burst("2022-05-08", 22, 45), Burst("2022-10-04", 20, 30)),
                    downloads=57_000,
                    likes=33,
                    pipeline_tag="summarization",
                    card_links=("https://github.com/sparse-lab/sparse-t5",),
                    library_name="transformers",
                ),
                # links its code only from the README text, not the card metadata
                HubModelSpec(
                    "sparse-lab/sparse-t5-large",
                    (Burst("2022-10-06", 15, 16),),
                    downloads=21_000,
                    likes=12,
                    pipeline_tag="summarization",
                    readme_links=("https://github.com/sparse-lab/sparse-t5",),
                ),
            ),
        ),
        FamilySpec(
            shape="disjoint periods: GitHub development ended long before the Hub release",
            github=GitHubRepoSpec(
                "acme-research/codegen-mini",
                (Burst("2020-01-10", 200, 260),),
                stars=880,
                forks=120,
                contributors=11,
                description="codegen-mini: small code generation models.",
            ),
            hub=(
                HubModelSpec(
                    "acme-research/codegen-mini-350m",
                    (Burst("2022-03-01", 30, 35),),
                    downloads=150_000,
                    likes=77,
                    pipeline_tag="text-generation",
                    card_links=("https://github.com/acme-research/codegen-mini",),
                ),
            ),
        ),
        FamilySpec(
            shape="renamed GitHub repository; the Hub side was uploaded once and abandoned",
            github=GitHubRepoSpec(
                "new-org/legacy-gpt",
                (Burst("2019-06-01", 300, 180), Burst("2021-01-15", 120, 60)),
                stars=2100,
                forks=300,
                contributors=23,
                description="legacy-gpt (moved from old-org/legacy-gpt).",
                renamed_from="old-org/legacy-gpt",
            ),
            hub=(
                HubModelSpec(
                    "old-org/legacy-gpt-medium",
                    (Burst("2019-08-01", 5, 8),),
                    downloads=42_000,
                    likes=15,
                    pipeline_tag="text-generation",
                    card_links=("https://github.com/old-org/legacy-gpt",),
                ),
            ),
        ),
        FamilySpec(
            shape="empty GitHub repository (created, never pushed); only the Hub side has history",
            github=GitHubRepoSpec(
                "void-lab/void-lm",
                (),
                stars=3,
                forks=0,
                contributors=0,
                description="Code coming soon.",
            ),
            hub=(
                HubModelSpec(
                    "void-lab/void-lm-small",
                    (Burst("2024-01-05", 15, 12),),
                    downloads=12_500,
                    likes=2,
                    pipeline_tag="text-classification",
                    card_links=("https://github.com/void-lab/void-lm",),
                ),
            ),
        ),
        # The paper's worked example (PAPERS.md section 1, family cahya_bert there): expected PSS,
        # Upstream First, Disperse synchronization. Replayed: the real upstream history (170 commits,
        # 2018-08 to 2023-05, busiest Jun-Sep 2020) and the Hub days of the paper's hand-offs.
        # Stars, forks and the description are illustrative, not the real repository's.
        FamilySpec(
            shape="the paper's worked example: real GitHub history, Hub days from the paper's hand-offs",
            github=GitHubRepoSpec(
                "cahya-wirawan/indonesian-language-models",
                (),
                stars=120,
                forks=40,
                contributors=2,
                description="Indonesian language models and their usage.",
                history="cahya-wirawan__indonesian-language-models.commits.json.gz",
            ),
            hub=(
                HubModelSpec(
                    "cahya/bert-base-indonesian-522M",
                    (),
                    downloads=23_113,
                    likes=21,
                    pipeline_tag="fill-mask",
                    card_links=("https://github.com/cahya-wirawan/indonesian-language-models",),
                    languages=("id",),
                    commit_days="cahya__bert-base-indonesian-522M.hub_days.csv",
                ),
            ),
        ),
    ),
    extra_models=(
        # links a repository that does not exist: discovery records it without a family
        HubModelSpec(
            "ghost-user/ghost-bert",
            (Burst("2022-02-01", 5, 6),),
            downloads=64_000,
            likes=4,
            pipeline_tag="fill-mask",
            card_links=("https://github.com/ghost-user/does-not-exist",),
        ),
        # under the download threshold
        HubModelSpec(
            "small-lab/tiny-bert",
            (Burst("2022-07-01", 3, 4),),
            downloads=430,
            likes=1,
            pipeline_tag="fill-mask",
            card_links=("https://github.com/small-lab/tiny-bert",),
        ),
        # not NLP
        HubModelSpec(
            "vision-co/vit-x",
            (Burst("2022-08-01", 10, 9),),
            downloads=2_300_000,
            likes=120,
            pipeline_tag="image-classification",
            card_links=("https://github.com/vision-co/vit-x",),
            library_name="timm",
        ),
        # only malformed links
        HubModelSpec(
            "broken-links/bert-x",
            (Burst("2021-11-01", 4, 5),),
            downloads=23_000,
            likes=3,
            pipeline_tag="token-classification",
            card_links=("https://github.com//", "http://github.com/only-owner"),
        ),
        # private: invisible to anonymous listing, 401 on direct access
        HubModelSpec(
            "secret-org/private-lm",
            (Burst("2023-05-01", 5, 5),),
            downloads=50_000,
            likes=0,
            pipeline_tag="text-generation",
            card_links=("https://github.com/secret-org/private-lm",),
            private=True,
        ),
    ),
)
"""The sample the demo, the tests and the benchmark run on."""
