"""Text analysis shared by the indexer and the search service.

Both sides import this module, so what is indexed and what is looked up can never drift:

* ``normalize``: the character-for-character fold (see :mod:`indexer.normalize`).
* Character n-grams for recall: every character (``unigram`` field) and every overlapping
  pair of characters (``bigram`` field). A single character is found by its unigram, a pair
  by its bigram, and a longer string among the passages holding all of its bigrams (then
  confirmed on the normalized text), whatever jieba thinks the words are.
* jieba words for ranking (BM25), with the domain user dictionary from ``data/``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from math import log

import jieba

from indexer import domain
from indexer.normalize import is_word_char, normalize

__all__ = [
    "normalize",
    "unigram_counts",
    "bigram_counts",
    "index_words",
    "word_counts",
    "query_words",
    "exact_lookup",
]

jieba.setLogLevel(logging.WARNING)
_tokenizer: jieba.Tokenizer | None = None
_lock = threading.Lock()


class _Tokenizer(jieba.Tokenizer):
    """jieba's tokenizer with its two inner loops (``get_DAG``, ``calc``) written for speed.

    Same dictionary, same arithmetic in the same order, same tie-breaking: the same words
    (checked against jieba on whole corpora). Half of jieba's time was these loops."""

    def get_DAG(self, sentence):
        self.check_initialized()
        get = self.FREQ.get
        n = len(sentence)
        dag = {}
        for k in range(n):
            ends = []
            i = k
            freq = get(sentence[k])
            while freq is not None:  # a word, or the prefix of one
                if freq:
                    ends.append(i)
                i += 1
                if i >= n:
                    break
                freq = get(sentence[k : i + 1])
            dag[k] = ends or [k]
        return dag

    def calc(self, sentence, DAG, route):
        n = len(sentence)
        route[n] = (0, 0)
        logtotal = log(self.total)
        scores = self._scores
        get = self.FREQ.get
        for idx in range(n - 1, -1, -1):
            best = None
            for x in DAG[idx]:
                word = sentence[idx : x + 1]
                score = scores.get(word)
                if score is None:
                    frequency = get(word)
                    if frequency:  # only dictionary words are kept: the cache never outgrows the dictionary
                        score = scores[word] = log(frequency) - logtotal
                    else:  # any other character a query may hold: log(1) - logtotal
                        score = -logtotal
                candidate = (score + route[x + 1][0], x)
                if best is None or candidate > best:  # max(): the first of equals, larger x on ties
                    best = candidate
            route[idx] = best

    @property
    def _scores(self) -> dict[str, float]:
        cache = self.__dict__.get("_score_cache")
        if cache is None or self.__dict__.get("_score_total") != self.total:
            cache = self.__dict__["_score_cache"] = {}
            self.__dict__["_score_total"] = self.total
        return cache


def tokenizer() -> jieba.Tokenizer:
    """The one jieba tokenizer, with the domain user dictionary loaded (lazily, once)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                tok = _Tokenizer()
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
    return token.isalnum() or _ALNUM.search(token) is not None or any(is_word_char(c) for c in token)


def unigram_counts(normalized: str) -> Counter:
    """Every non-space character and how often it occurs."""
    counts = Counter(normalized)
    counts.pop(" ", None)
    return counts


def bigram_counts(normalized: str) -> Counter:
    """Every overlapping pair of characters and how often it occurs."""
    return Counter(map(str.__add__, normalized, normalized[1:]))


def index_words(normalized: str) -> list[str]:
    """jieba words for BM25, in search mode (a long word also yields its dictionary sub-words)."""
    return [t for t in tokenizer().cut_for_search(normalized) if _is_token(t)]


def word_counts(normalized: str) -> Counter:
    """Every jieba word of :func:`index_words` and how often it occurs."""
    return Counter(index_words(normalized))


def query_words(normalized: str) -> list[str]:
    """jieba words of one query term (precise mode: every word it yields is also indexed)."""
    return [t for t in tokenizer().cut(normalized) if _is_token(t)]


def exact_lookup(normalized: str) -> tuple[str, list[str]]:
    """How the index finds passages containing ``normalized`` verbatim: (field, grams).

    One character is a unigram lookup; longer strings need all of their overlapping bigrams.
    """
    if len(normalized) == 1:
        return "unigram", [normalized]
    return "bigram", [normalized[i : i + 2] for i in range(len(normalized) - 1)]
