"""Normalization for matching: traditional→simplified, full-width→half-width, Latin lower-case.

The mapping is strictly character-for-character (one code point in, one code point out),
so ``normalize(text)[i]`` always corresponds to ``text[i]``. That identity is the offset map
between what is matched (normalized) and what is shown (as written): a match found at
``[start, end)`` of the normalized text is marked at ``[start, end)`` of the original.

It is also context-free: ``normalize(s[i:j]) == normalize(s)[i:j]``, so any substring a user
copies from a report, in either script, finds that report. OpenCC's phrase tables are
deliberately not used: they are context-dependent and may change lengths.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

import opencc


def _opencc_characters() -> dict[str, str]:
    """Single-character traditional→simplified pairs from OpenCC's own dictionary."""
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    pairs: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        first = targets.split(" ")[0] if targets else ""
        if len(source) == 1 and len(first) == 1:
            pairs[source] = first
    return pairs


def _fold_width(char: str) -> str:
    code = ord(char)
    if 0xFF01 <= code <= 0xFF5E:  # full-width ASCII block
        return chr(code - 0xFEE0)
    if char in "\u3000\u00a0\u2002\u2003\u2009\t\r\n\x0b\x0c":
        return " "
    return char


@lru_cache(maxsize=1)
def translation_table() -> dict[int, str]:
    t2s = _opencc_characters()
    table: dict[int, str] = {}
    candidates = set(t2s) | {chr(c) for c in range(0x20, 0x250)} | {chr(c) for c in range(0xFF01, 0xFF5F)}
    candidates |= {chr(c) for c in range(0x370, 0x530)} | set("\u3000\u00a0\u2002\u2003\u2009\t\r\n\x0b\x0c")
    for char in candidates:
        out = _fold_width(t2s.get(char, char))
        lowered = out.lower()
        if len(lowered) == 1:
            out = lowered
        if out != char and len(out) == 1:
            table[ord(char)] = out
    return table


def normalize(text: str) -> str:
    """Fold ``text`` for matching; the result has exactly the length of the input."""
    return text.translate(translation_table())


def is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" or "\U00020000" <= char <= "\U0002ffff"


def is_word_char(char: str) -> bool:
    """Letters, digits and ideographs: what a token is made of (not punctuation or space)."""
    return char.isalnum() or is_cjk(char) or unicodedata.category(char) in ("Lo", "Nl")
