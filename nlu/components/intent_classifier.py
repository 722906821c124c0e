"""Rasa's LogisticRegressionClassifier with the regularisation strength exposed.

On sparse word + char n-gram counts a weaker penalty (C > 1) gives sharper,
better-separated probabilities, which the FallbackClassifier threshold needs.
C was chosen with bench/compare_pipelines.py (see docs/pipeline-comparison.md).

Prediction computes sklearn's multinomial ``predict_proba`` (softmax of
X·Wᵀ + b) from a C-ordered copy of the weights: sklearn multiplies the sparse
row by ``coef_.T``, which scipy copies in full on every call (≈1.5 ms per
message, a quarter of the parse time, measured with cProfile).

``_create_X`` builds the same matrix as Rasa's (tested) from the sentence
features alone: Rasa first stacks every featurizer's sequence features too,
which this classifier never reads, then stacks with scipy (≈1 ms a message).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import (
    LogisticRegressionClassifier,
)
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.sparse import csr_matrix
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class TunedLogisticRegressionClassifier(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 10.0, "max_iter": 500}

    def __init__(
        self,
        config: Dict[Text, Any],
        name: Text,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf = LogisticRegression(
            C=self.config["C"],
            solver=self.config["solver"],
            max_iter=self.config["max_iter"],
            class_weight="balanced",
            tol=self.config["tol"],
            random_state=self.config["random_state"],
            dual=False,
            fit_intercept=True,
            intercept_scaling=1,
            warm_start=False,
        )

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        """Each message's text sentence features, sparse then dense, in pipeline
        order: one row per message, its parts side by side. Built from the
        parts' entries directly; scipy's hstack/vstack cost more than the
        prediction for a message of one row."""
        data, columns, row_ends = [], [], [0]
        width = 0  # every message has the same parts, so the same width
        for message in messages:
            sentence = [f for f in message.features
                        if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
            parts = ([f.features for f in sentence if f.is_sparse()]
                     + [csr_matrix(f.features) for f in sentence if f.is_dense()])
            width, entries = 0, 0
            for part in parts:
                part = part.tocoo()  # one row: its columns and values
                data.append(part.data)
                columns.append(part.col + width)
                width += part.shape[1]
                entries += part.nnz
            row_ends.append(row_ends[-1] + entries)
        if not data:
            return csr_matrix((len(messages), width))
        return csr_matrix((np.concatenate(data), np.concatenate(columns), row_ends),
                          shape=(len(messages), width))

    def predict_proba(self, X: Any) -> np.ndarray:
        weights = getattr(self, "_weights", None)
        if weights is None or weights.shape[1] != len(self.clf.classes_):
            weights = self._weights = np.ascontiguousarray(self.clf.coef_.T)
        scores = np.asarray(X @ weights) + self.clf.intercept_
        return softmax(scores, axis=1)

    def process(self, messages: List[Message]) -> List[Message]:
        """Rasa's process(), with the faster predict_proba above."""
        probabilities = self.predict_proba(self._create_X(messages))
        intents = self.clf.classes_
        for message, row in zip(messages, probabilities):
            ranking = sorted(
                ({"name": name, "confidence": float(p)} for name, p in zip(intents, row)),
                key=lambda entry: -entry["confidence"],
            )
            if self.config[RANKING_LENGTH] > 0:
                ranking = ranking[: self.config[RANKING_LENGTH]]
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
