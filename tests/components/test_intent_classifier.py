"""The fast prediction path of TunedLogisticRegressionClassifier gives sklearn's answer."""
import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from scipy.sparse import random as sparse_random

from nlu.components.intent_classifier import TunedLogisticRegressionClassifier


@pytest.fixture
def classifier(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    component = TunedLogisticRegressionClassifier.create(
        TunedLogisticRegressionClassifier.get_default_config(), storage, Resource("clf"), context
    )
    rng = np.random.default_rng(3)
    X = sparse_random(120, 400, density=0.05, format="csr", random_state=3)
    y = rng.choice(["greet", "internet_down", "payment_not_credited", "goodbye"], size=120)
    component.clf.fit(X, y)
    return component


def test_probabilities_match_sklearn(classifier):
    X = sparse_random(7, 400, density=0.05, format="csr", random_state=9)
    ours = classifier.predict_proba(X)
    assert np.allclose(ours, classifier.clf.predict_proba(X), atol=1e-12)
    assert [classifier.clf.classes_[i] for i in ours.argmax(axis=1)] == classifier.clf.predict(X).tolist()
