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


def _message(text, sparse_sizes, dense_size=0, seed=0):
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    rng = np.random.default_rng(seed)
    message = Message(data={"text": text})
    tokens = len(text.split())
    for number, size in enumerate(sparse_sizes):
        origin = f"featurizer{number}"
        message.add_features(Features(sparse_random(tokens, size, density=0.3, format="coo", random_state=seed),
                                      "sequence", "text", origin))
        message.add_features(Features(sparse_random(1, size, density=0.3, format="coo", random_state=seed + 1),
                                      "sentence", "text", origin))
    if dense_size:
        message.add_features(Features(rng.random((1, dense_size)), "sentence", "text", "dense"))
    return message


@pytest.mark.parametrize("dense_size", [0, 5])
def test_feature_matrix_is_rasas(classifier, dense_size):
    """The shortcut that skips the sequence features builds Rasa's exact matrix."""
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    messages = [_message(text, [30, 50], dense_size, seed) for seed, text in
                enumerate(["интернет жоқ", "пропал интернет с утра", "сәлем"])]
    for batch in (messages, messages[:1]):  # training, and one message as parsed
        ours = classifier._create_X(batch)
        rasas = LogisticRegressionClassifier._create_X(classifier, batch)
        assert ours.shape == rasas.shape == (len(batch), 80 + dense_size)
        assert np.array_equal(ours.toarray(), rasas.toarray())
