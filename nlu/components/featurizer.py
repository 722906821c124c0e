"""Rasa's CountVectorsFeaturizer without the per-token (sequence) features.

Rasa's featurizer transforms every message twice: once token by token (the
sequence features DIET and CRF taggers read) and once as a whole (the sentence
features). Dana's intent classifier reads only the sentence features and its
entity extractor reads no features at all, so the token-by-token transform —
half of the featurizers' time, a tenth of a message's CPU — is skipped.

The sentence row is counted here, as sklearn's ``CountVectorizer.transform``
counts it (the same analyser, vocabulary and dtype; Rasa never sets ``binary``), but
without its per-call set-up: sklearn rebuilds the analyser and goes through
two scipy conversions for every one-row call, which was two thirds of the
featurizers' time. The vocabulary, the features and so every prediction stay
the same (tests/components/test_featurizer.py compares with Rasa's).

A long message (a customer's whole story) is also counted sentence by
sentence, into ``PART_FEATURES``: the classifier then judges it by its main
complaint rather than by whichever words dominate the whole (nlu/components/
intent_classifier.py). Short messages — nearly all — get nothing extra.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from sklearn.feature_extraction.text import CountVectorizer

# Each featurizer appends its rows (one per sentence) here, in pipeline order.
PART_FEATURES = "dana_part_features"
LONG_MESSAGE_CHARS = 240  # longer than any one question; shorter stories are judged whole
_SENTENCE = re.compile(r"[^.!?\n…]+[.!?\n…]*")


def sentence_spans(text: Text) -> List[Tuple[int, int]]:
    """Where each sentence of the text starts and ends."""
    return [m.span() for m in _SENTENCE.finditer(text) if m.group(0).strip(" .!?\n…")]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    def _create_features(
        self, attribute: Text, all_tokens: List[List[Text]]
    ) -> Tuple[List[Optional[scipy.sparse.spmatrix]], List[Optional[scipy.sparse.spmatrix]]]:
        vectorizer = self.vectorizers.get(attribute)
        if not vectorizer:
            return [None], [None]
        sentence_features: List[Optional[scipy.sparse.spmatrix]] = []
        for tokens in all_tokens:
            if not tokens or attribute not in DENSE_FEATURIZABLE_ATTRIBUTES:
                sentence_features.append(None)
                continue
            # As Rasa's: the tokens joined into one text, counted as one row.
            sentence_features.append(self._count_row(vectorizer, " ".join(tokens)))
        return [None] * len(all_tokens), sentence_features

    def process(self, messages: List[Message]) -> List[Message]:
        messages = super().process(messages)
        vectorizer = (self.vectorizers or {}).get(TEXT)
        for message in messages:
            text = message.get(TEXT) or ""
            if vectorizer is None or len(text) < LONG_MESSAGE_CHARS:
                continue
            parts = self._part_tokens(message, sentence_spans(text))
            if len(parts) > 1:
                rows = [self._count_row(vectorizer, " ".join(tokens)) for tokens in parts]
                message.set(PART_FEATURES, (message.get(PART_FEATURES) or []) + [rows])
        return messages

    def _part_tokens(self, message: Message, spans: List[Tuple[int, int]]) -> List[List[Text]]:
        """The message's tokens, processed as Rasa's featurizer does, per sentence."""
        tokens: List[Any] = message.get(TOKENS_NAMES[TEXT]) or []
        parts = []
        for start, end in spans:
            inside = [t.lemma if self.use_lemma else t.text for t in tokens if start <= t.start < end]
            if inside:
                parts.append(self._replace_with_oov_token(self._process_tokens(inside, TEXT), TEXT))
        return parts

    def _count_row(self, vectorizer: CountVectorizer, text: Text) -> scipy.sparse.coo_matrix:
        vocabulary = vectorizer.vocabulary_
        counts: Dict[int, int] = {}
        for feature in self._analyser(vectorizer)(text):
            index = vocabulary.get(feature)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        columns = sorted(counts)
        return scipy.sparse.coo_matrix(
            (
                np.array([counts[c] for c in columns], dtype=vectorizer.dtype),
                (np.zeros(len(columns), dtype=np.int32), np.array(columns, dtype=np.int32)),
            ),
            shape=(1, len(vocabulary)),
        )

    def _analyser(self, vectorizer: CountVectorizer) -> Callable[[Text], List[Text]]:
        # Built once per vectorizer (a loaded or retrained model brings new ones).
        cache = self.__dict__.setdefault("_analysers", {})
        entry = cache.get(id(vectorizer))
        if entry is None or entry[0] is not vectorizer:
            entry = cache[id(vectorizer)] = (vectorizer, vectorizer.build_analyzer())
        return entry[1]
