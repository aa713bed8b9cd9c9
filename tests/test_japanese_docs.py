"""The Japanese edition's documents: linked both ways, Japanese, in their own words; a glossary."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from japanese_text import (
    article_path,
    article_quotables,
    is_kana_or_kanji,
    kana_kanji_share,
    prose,
    shared_runs,
)

REPO = Path(__file__).resolve().parent.parent
README, README_JA = REPO / "README.md", REPO / "README.ja.md"
GLOSSARY = REPO / "docs" / "glossary.ja.md"
# The Japanese prose of the edition (the notebooks are checked by their own tests).
JAPANESE_DOCS = [
    README_JA,
    REPO / "notebooks" / "ja" / "README.md",
    *sorted((REPO / "instructor" / "ja").glob("*.md")),
]
# Every document the article must not be copied into (the glossary's columns are mostly terms).
OWN_WORDS = [*JAPANESE_DOCS, GLOSSARY, REPO / "instructor" / "ja" / "slides" / "intro.html"]
MIN_SHARE = 0.6
# The terms every Japanese notebook leans on (issue 23), as Microsoft Learn ja-jp writes them.
REQUIRED_TERMS = (
    "マネージド ID",
    "ポッド ID",
    "名前空間",
    "ロールの割り当て",
    "サービス プリンシパル",
    "リソース グループ",
    "サブスクリプション",
    "クラスター",
    "ポッド",
    "NMI",
    "MIC",
    "AzureIdentity",
    "AzureIdentityBinding",
    "ワークロード ID",
    "フェデレーション ID 資格情報",
    "OIDC 発行者",
)
# English terms the notebooks may use; each one they do use must be in the glossary.
NOTEBOOK_TERMS = (
    "managed identity",
    "service principal",
    "namespace",
    "role assignment",
    "resource group",
    "node resource group",
    "subscription",
    "client ID",
    "resource ID",
    "access token",
    "Virtual Machine Contributor",
    "Managed Identity Operator",
    "Key Vault Secrets User",
    "service account",
    "federated identity credential",
    "OIDC issuer",
    "audience",
    "subject",
    "DaemonSet",
    "label",
    "selector",
    "migration sidecar",
    "verify cell",
    "catch-up cell",
    "Azure CNI",
    "kubenet",
    "IMDS",
    "long-running operation",
    "binding",
    "scale set",
    "cluster identity",
    "kubelet identity",
    "container",
)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
ROW = re.compile(r"^\| ([^|]+?) \| ([^|]+?) \| ([^|]+?) \| ([^|]+?) \|$", re.MULTILINE)


def glossary() -> list[tuple[str, str, str]]:
    """(Japanese, English, the article's wording) for each row of the glossary's tables."""
    rows = ROW.findall(GLOSSARY.read_text(encoding="utf-8"))
    return [(ja, en, a) for ja, en, a, _ in rows if ja != "日本語" and not set(ja) <= {"-"}]


def notebook_markdown() -> str:
    """The Markdown of the English notebooks, where the terms to translate come from."""
    text = []
    for path in sorted((REPO / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text += ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    return "\n".join(text)


def test_the_two_readmes_link_each_other_at_the_top() -> None:
    assert "](README.ja.md)" in README.read_text(encoding="utf-8").splitlines()[0]
    assert "](README.md)" in README_JA.read_text(encoding="utf-8").splitlines()[0]


def test_the_japanese_readme_keeps_the_commands_of_the_english_one() -> None:
    english = README.read_text(encoding="utf-8")
    japanese = README_JA.read_text(encoding="utf-8")
    fenced = re.compile(r"^make [a-z-]+ ", re.MULTILINE)
    assert {"make tutorial ", "make test "} <= set(fenced.findall(english))
    assert set(fenced.findall(english)) <= set(fenced.findall(japanese))
    targets = set(re.findall(r"`(?:sudo )?(make [a-z-]+)", english))
    assert targets <= set(re.findall(r"make [a-z-]+", japanese))


@pytest.mark.parametrize("path", OWN_WORDS, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_lead_somewhere(path: Path) -> None:
    english_notebooks = {p.name for p in (REPO / "notebooks").glob("*.ipynb")}
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        resolved = path.parent / target
        # Japanese notebooks carry the English ones' names (they may land after this file).
        if resolved.suffix == ".ipynb" and resolved.parent.name == "ja":
            assert resolved.name in english_notebooks, f"{path.name}: {target}"
        else:
            assert resolved.exists(), f"{path.name}: {target}"


@pytest.mark.parametrize("path", JAPANESE_DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_the_prose_is_mostly_kana_and_kanji(path: Path) -> None:
    share = kana_kanji_share(prose(path.read_text(encoding="utf-8")))
    assert share >= MIN_SHARE, f"{path.name}: {share:.0%} of its letters are kana or kanji"


@pytest.mark.parametrize("path", [*JAPANESE_DOCS, GLOSSARY], ids=lambda p: str(p.relative_to(REPO)))
def test_no_line_break_inside_a_japanese_sentence(path: Path) -> None:
    """A soft break between two Japanese characters shows as a stray space once rendered."""
    lines = prose(path.read_text(encoding="utf-8")).splitlines()
    broken = [
        f"{before[-12:]}⏎{after[:12]}"
        for before, after in itertools.pairwise(lines)
        if before and after and is_kana_or_kanji(before[-1]) and is_kana_or_kanji(after[0])
    ]
    assert broken == []


@pytest.mark.parametrize("path", OWN_WORDS, ids=lambda p: str(p.relative_to(REPO)))
def test_no_sentence_of_the_article_is_copied(path: Path) -> None:
    article = article_path()
    if article is None:
        pytest.skip("shared/source/article-ja.txt is not beside the clone")
    text = prose(path.read_text(encoding="utf-8"))
    assert shared_runs(text, article.read_text(encoding="utf-8")) == []


def test_the_glossary_has_the_terms_of_the_japanese_notebooks() -> None:
    japanese = {ja for ja, _, _ in glossary()}
    missing = [term for term in REQUIRED_TERMS if not any(term in ja for ja in japanese)]
    assert missing == []


def test_the_glossary_translates_every_term_the_notebooks_use() -> None:
    english = " ".join(en for _, en, _ in glossary()).lower()
    used = [t for t in NOTEBOOK_TERMS if t.lower() in notebook_markdown().lower()]
    assert len(used) >= 20, "the notebooks' terms were not found: is the list stale?"
    assert [t for t in used if t.lower() not in english] == []


def test_the_glossary_gives_the_articles_wording_where_it_has_one() -> None:
    article = article_path()
    if article is None:
        pytest.skip("shared/source/article-ja.txt is not beside the clone")
    text = "".join(article.read_text(encoding="utf-8").split())
    for ja, _, wording in glossary():
        for word in wording.split("、"):
            if word != "—":
                assert "".join(word.split()) in text, f"{ja}: the article never says {word!r}"


def test_a_copied_sentence_is_found_and_a_quoted_command_is_not() -> None:
    article = (
        "はじめに\n"
        "この記事ではポッドからリソースに安全にアクセスする方法を丁寧に解説します。\n"
        "az aks update -g <リソースグループ名> -n <AKSクラスター名> --enable-pod-identity\n"
    )
    copied = "前置き。この記事ではポッドからリソースに安全にアクセスする方法を学びます。"
    expected = "この記事ではポッドからリソースに安全にアクセスする方法を"
    assert shared_runs(copied, article) == [expected]
    command = "az aks update -g <リソースグループ名> -n <AKSクラスター名> --enable-pod-identity"
    quoted = f"実行するのは {command} です。"
    assert shared_runs(quoted, article) == []
    assert article_quotables(article)[0].startswith("azaksupdate")


def test_prose_leaves_out_code_links_and_html_and_counts_japanese_letters() -> None:
    markdown = "日本語です `code` [リンク](https://x.org/y)\n```bash\nmake test\n```\n<b>太字</b>"
    assert prose(markdown).split() == ["日本語です", "[リンク]", "太字"]
    assert kana_kanji_share("日本語 abc") == 0.5
    assert kana_kanji_share("123 ✓") == 0.0
