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
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Text, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from sklearn.feature_extraction.text import CountVectorizer


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
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

    def _count_row(self, vectorizer: CountVectorizer, text: Text) -> scipy.sparse.coo_matrix:
        vocabulary = vectorizer.vocabulary_
        counts: Dict[int, int] = {}
        for feature in self._analyser(vectorizer)(text):
            index = vocabulary.get(feature)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        columns = sorted(counts)
        return scipy.sparse.coo_matrix(
            (np.array([counts[c] for c in columns], dtype=vectorizer.dtype),
             (np.zeros(len(columns), dtype=np.int32), np.array(columns, dtype=np.int32))),
            shape=(1, len(vocabulary)))

    def _analyser(self, vectorizer: CountVectorizer) -> Callable[[Text], List[Text]]:
        # Built once per vectorizer (a loaded or retrained model brings new ones).
        cache = self.__dict__.setdefault("_analysers", {})
        entry = cache.get(id(vectorizer))
        if entry is None or entry[0] is not vectorizer:
            entry = cache[id(vectorizer)] = (vectorizer, vectorizer.build_analyzer())
        return entry[1]
