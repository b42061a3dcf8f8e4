"""Text analysis shared by the indexer and the search service.

Both sides import this module, so what is indexed and what is looked up can never drift:

* ``normalize``: the character-for-character fold (see :mod:`indexer.normalize`).
* Character n-grams for recall: every character (``unigram`` field) and every overlapping
  pair of characters with its position (``bigram`` field). Any string of two or more
  characters is then found by a phrase of its bigrams at consecutive positions, and any
  single character by its unigram, whatever jieba thinks the words are.
* jieba words for ranking (BM25), with the domain user dictionary from ``data/``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter

import jieba

from indexer import domain
from indexer.normalize import is_word_char, normalize

__all__ = [
    "normalize",
    "unigram_counts",
    "bigram_positions",
    "index_words",
    "query_words",
    "exact_lookup",
]

jieba.setLogLevel(logging.WARNING)
_tokenizer: jieba.Tokenizer | None = None
_lock = threading.Lock()


def tokenizer() -> jieba.Tokenizer:
    """The one jieba tokenizer, with the domain user dictionary loaded (lazily, once)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                tok = jieba.Tokenizer()
                tok.initialize()
                path = domain.userdict_path()
                if path.exists():
                    tok.load_userdict(str(path))
                _tokenizer = tok
    return _tokenizer


# Any Unicode letter or digit (``\w`` is str.isalnum() plus "_"): such a token is a word at
# once; the few others (punctuation, symbols) are checked character by character.
_ALNUM = re.compile(r"[^\W_]")


def _is_token(token: str) -> bool:
    return _ALNUM.search(token) is not None or any(is_word_char(c) for c in token)


def unigram_counts(normalized: str) -> Counter:
    """Every non-space character and how often it occurs."""
    counts = Counter(normalized)
    counts.pop(" ", None)
    return counts


def bigram_positions(normalized: str) -> dict[str, list[int]]:
    """Every overlapping character pair with the positions where it starts."""
    positions: dict[str, list[int]] = {}
    for i in range(len(normalized) - 1):
        gram = normalized[i : i + 2]
        found = positions.get(gram)
        if found is None:
            positions[gram] = [i]
        else:
            found.append(i)
    return positions


def index_words(normalized: str) -> list[str]:
    """jieba words for BM25, in search mode (a long word also yields its dictionary sub-words)."""
    return [t for t in tokenizer().cut_for_search(normalized) if _is_token(t)]


def query_words(normalized: str) -> list[str]:
    """jieba words of one query term (precise mode: every word it yields is also indexed)."""
    return [t for t in tokenizer().cut(normalized) if _is_token(t)]


def exact_lookup(normalized: str) -> tuple[str, list[str]]:
    """How the index finds passages containing ``normalized`` verbatim: (field, grams).

    One character is a unigram lookup; longer strings are a phrase of overlapping bigrams.
    """
    if len(normalized) == 1:
        return "unigram", [normalized]
    return "bigram", [normalized[i : i + 2] for i in range(len(normalized) - 1)]
