"""Rasa's LogisticRegressionClassifier with the regularisation strength exposed.

On sparse word + char n-gram counts a weaker penalty (C > 1) gives sharper,
better-separated probabilities, which the FallbackClassifier threshold needs.
C was chosen with bench/compare_pipelines.py (see docs/pipeline-comparison.md).

Prediction computes sklearn's multinomial ``predict_proba`` (softmax of
x·Wᵀ + b) from a C-ordered copy of the weights, summing for each message only
the weight rows of its own columns: sklearn multiplies the sparse row by
``coef_.T``, which scipy copies in full on every call (≈1.5 ms per message, a
quarter of the parse time, measured with cProfile), and even a prepared
sparse product costs more in scipy's checks than the sum.

Rows are read from the sentence features alone: Rasa first stacks every
featurizer's sequence features too, which this classifier never reads, then
stacks with scipy (≈1 ms a message). ``_create_X`` (training) builds the same
matrix as Rasa's from them (tested).

A long message is judged by its main complaint: the featurizers also count it
sentence by sentence (``PART_FEATURES``), each sentence is classified, those
whose best reading is small talk or a bare answer (``background_intents``) are
set aside, and the rest are averaged. Whole, a 1,000-character story about a
dead line that mentions paying through Kaspi reads as a payment question with
certainty; sentence by sentence, most of it is about the line. When no topic
leads clearly (``main_complaint_confidence``) but several were found, the
intent is ``choose_topic`` and the ranking holds them: Dana asks which one
(actions/general.py) instead of guessing or asking to rephrase the whole story.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text, Tuple

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

from nlu.components.featurizer import PART_FEATURES

CHOOSE_TOPIC = "choose_topic"
# A topic Dana offers when she asks which one a long message is about.
TOPIC_SHOWN_FROM = 0.1


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TunedLogisticRegressionClassifier(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 10.0,
            "max_iter": 500,
            # Sentences of a long message that say no topic of their own.
            "background_intents": [
                "greet",
                "goodbye",
                "thank",
                "affirm",
                "deny",
                "inform",
                "bot_challenge",
                "out_of_scope",
                "switch_language",
            ],
            # A long message's leading topic is taken when its mean reading is at
            # least this (the FallbackClassifier's threshold); else Dana asks.
            "main_complaint_confidence": 0.45,
        }

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

    @staticmethod
    def _rows(messages: List[Message]) -> List[Tuple[np.ndarray, np.ndarray, int]]:
        """Each message's text sentence features, sparse then dense, in pipeline
        order, side by side: the columns, values and width of its one row. Read from
        the parts' entries directly; scipy's hstack/vstack cost more than the
        prediction for a message of one row."""
        rows = []
        for message in messages:
            sentence = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
            parts = [f.features for f in sentence if f.is_sparse()] + [
                csr_matrix(f.features) for f in sentence if f.is_dense()
            ]
            columns, values, width = [], [], 0
            for part in parts:
                part = part.tocoo()  # one row: its columns and values
                columns.append(part.col + width)
                values.append(part.data)
                width += part.shape[1]
            rows.append(
                (
                    np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64),
                    np.concatenate(values) if values else np.zeros(0),
                    width,
                )
            )
        return rows

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        """The training matrix (Rasa's train() calls this): one row per message."""
        rows = self._rows(messages)
        width = max((row_width for _, _, row_width in rows), default=0)
        row_ends = np.cumsum([0] + [len(columns) for columns, _, _ in rows])
        if not row_ends[-1]:
            return csr_matrix((len(messages), width))
        return csr_matrix(
            (
                np.concatenate([values for _, values, _ in rows]),
                np.concatenate([columns for columns, _, _ in rows]),
                row_ends,
            ),
            shape=(len(messages), width),
        )

    def _probabilities(self, rows: List[Tuple[np.ndarray, np.ndarray, int]]) -> np.ndarray:
        """sklearn's predict_proba for these rows: softmax(x·Wᵀ + b), each row's
        score summed from the weights of its own columns only."""
        weights = getattr(self, "_weights", None)
        if weights is None or weights.shape[1] != len(self.clf.classes_):
            weights = self._weights = np.ascontiguousarray(self.clf.coef_.T)
        scores = (
            np.array([values @ weights[columns] for columns, values, _ in rows]).reshape(len(rows), weights.shape[1])
            + self.clf.intercept_
        )
        return softmax(scores, axis=1)

    @staticmethod
    def _part_rows(message: Message) -> List[Tuple[np.ndarray, np.ndarray, int]]:
        """One row per sentence of a long message, featurizers side by side as in _rows."""
        per_featurizer = message.get(PART_FEATURES) or []
        rows = []
        for part in zip(*per_featurizer, strict=False):
            columns, values, width = [], [], 0
            for row in part:
                columns.append(row.col + width)
                values.append(row.data)
                width += row.shape[1]
            rows.append((np.concatenate(columns), np.concatenate(values), width))
        return rows

    def _main_complaint(self, message: Message, whole: np.ndarray) -> np.ndarray:
        """The mean reading of a long message's topical sentences (``whole`` if none)."""
        parts = self._part_rows(message)
        if not parts or parts[0][2] != self._width():
            return whole
        readings = self._probabilities(parts)
        background = set(self.config["background_intents"])
        topical = [row for row in readings if self.clf.classes_[int(np.argmax(row))] not in background]
        return np.mean(topical, axis=0) if topical else whole

    def _topics_found(self, row: np.ndarray) -> List[Dict[Text, Any]]:
        """The topics worth offering, best first (at most three)."""
        background = set(self.config["background_intents"])
        found: List[Dict[Text, Any]] = [
            {"name": str(name), "confidence": float(p)}
            for name, p in zip(self.clf.classes_, row, strict=False)
            if p >= TOPIC_SHOWN_FROM and name not in background
        ]
        return sorted(found, key=lambda entry: -entry["confidence"])[:3]

    def _width(self) -> int:
        return int(self.clf.coef_.shape[1])

    def process(self, messages: List[Message]) -> List[Message]:
        """Rasa's process(), with the faster prediction above."""
        probabilities = self._probabilities(self._rows(messages))
        intents = self.clf.classes_
        for message, whole in zip(messages, probabilities, strict=False):
            row = self._main_complaint(message, whole) if message.get(PART_FEATURES) else whole
            if row is not whole and row.max() < self.config["main_complaint_confidence"]:
                topics = self._topics_found(row)
                if len(topics) > 1:
                    ranking = [{"name": CHOOSE_TOPIC, "confidence": 1.0}] + topics
                    message.set("intent", ranking[0], add_to_output=True)
                    message.set("intent_ranking", ranking, add_to_output=True)
                    continue
            ranking = sorted(
                ({"name": name, "confidence": float(p)} for name, p in zip(intents, row, strict=False)),
                key=lambda entry: -entry["confidence"],
            )
            if self.config[RANKING_LENGTH] > 0:
                ranking = ranking[: self.config[RANKING_LENGTH]]
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
