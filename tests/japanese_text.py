"""Checks for the Japanese edition's prose: how Japanese it is, and that it copies no sentence.

The source article (`shared/source/article-ja.txt`, beside the clone) may be quoted for its
commands, log lines and section titles, never for its sentences: `shared_runs` finds any run of
20 characters a text shares with the article's sentences.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# shared/ sits beside the clone (CI, /work/main) or beside the folder of worktrees.
ARTICLE_CANDIDATES = (
    REPO.parent / "shared" / "source" / "article-ja.txt",
    REPO.parent.parent / "shared" / "source" / "article-ja.txt",
)
RUN_LENGTH = 20

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
URL = re.compile(r"https?://\S+")
HTML = re.compile(r"<!--.*?-->|<[^>]+>", re.DOTALL)
# A line of the article that is a sentence (titles, commands, log lines and YAML have neither).
SENTENCE_MARK = re.compile(r"[。、]")


def article_path() -> Path | None:
    """The source article when it is beside the clone, else None."""
    return next((p for p in ARTICLE_CANDIDATES if p.is_file()), None)


def prose(markdown: str) -> str:
    """The Markdown's running text: no code blocks, inline code, link targets, URLs or HTML tags."""
    text = FENCE.sub("", markdown)
    text = INLINE_CODE.sub("", text)
    text = LINK_TARGET.sub("]", text)
    text = URL.sub("", text)
    return HTML.sub("", text)


def is_kana_or_kanji(char: str) -> bool:
    """True for hiragana, katakana (with the long-vowel mark) and CJK ideographs."""
    name = unicodedata.name(char, "")
    return name.startswith(("HIRAGANA", "KATAKANA", "CJK UNIFIED IDEOGRAPH")) or char in "々ー"


def kana_kanji_share(text: str) -> float:
    """The share of the text's letters that are kana or kanji (0.0 for a text with no letters)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(is_kana_or_kanji(c) for c in letters) / len(letters)


def article_sentences(article: str) -> str:
    """The article's sentences, one per line: what the tutorial must not copy."""
    return "\n".join(line for line in article.splitlines() if SENTENCE_MARK.search(line))


def article_quotables(article: str) -> list[str]:
    """The article's other lines (its title, section titles, commands, log lines), longest first."""
    lines = {_squeezed(line) for line in article.splitlines() if not SENTENCE_MARK.search(line)}
    return sorted((line for line in lines if line), key=len, reverse=True)


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def shared_runs(text: str, article: str, length: int = RUN_LENGTH) -> list[str]:
    """Each run of at least `length` characters (spaces ignored) that the text shares with the
    article's sentences, overlapping runs merged. Quoted titles, commands and log lines are
    allowed, and so is a run with no kana or kanji in it (a product name such as
    "Azure Kubernetes Service" is no copied sentence)."""
    source = _squeezed(article_sentences(article))
    windows = {source[i : i + length] for i in range(len(source) - length + 1)}
    mine = _squeezed(text)
    for quote in article_quotables(article):
        if len(quote) >= length:
            mine = mine.replace(quote, "\n")
    spans: list[tuple[int, int]] = []
    for start in range(len(mine) - length + 1):
        if mine[start : start + length] not in windows:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], start + length)
        else:
            spans.append((start, start + length))
    runs = [mine[a:b] for a, b in spans]
    return [run for run in runs if any(is_kana_or_kanji(c) for c in run)]
