"""The project's jieba tokenizer (faster inner loops) cuts exactly as jieba does."""

from __future__ import annotations

import logging

import jieba

from indexer import analysis, domain


def test_same_words_as_jieba(passages):
    jieba.setLogLevel(logging.WARNING)
    reference = jieba.Tokenizer()
    reference.initialize()
    reference.load_userdict(str(domain.userdict_path()))
    ours = analysis.tokenizer()
    texts = [analysis.normalize(p.text) for p in passages] + [analysis.normalize(p.heading_text) for p in passages]
    texts += ["", " ", "哈哈哈哈", "1+3+N", "c++ 中文 123", "鄉村振興", "强村公司消薄三改一拆"]
    for text in texts:
        assert list(ours.cut_for_search(text)) == list(reference.cut_for_search(text))
        assert list(ours.cut(text)) == list(reference.cut(text))
        assert list(ours.cut(text, HMM=False)) == list(reference.cut(text, HMM=False))
