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
    X[3] = 0  # a message with no known word or n-gram
    X.eliminate_zeros()
    rows = [(X[i].indices, X[i].data, X.shape[1]) for i in range(X.shape[0])]
    ours = classifier._probabilities(rows)
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


@pytest.mark.parametrize("dense_size", [0, 5])
def test_parsed_intents_are_sklearns_on_rasas_matrix(dense_size):
    """process() ranks intents as sklearn does on the matrix Rasa would build."""
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    import tempfile

    storage = LocalModelStorage(tempfile.mkdtemp())
    classifier = TunedLogisticRegressionClassifier.create(
        TunedLogisticRegressionClassifier.get_default_config(), storage, Resource("clf"),
        ExecutionContext(GraphSchema({}), "test"))
    training = [_message(f"text {i}", [30, 50], dense_size, seed=100 + i) for i in range(40)]
    labels = ["greet", "internet_down", "payment_not_credited", "goodbye"] * 10
    classifier.clf.fit(LogisticRegressionClassifier._create_X(classifier, training), labels)
    messages = [_message(text, [30, 50], dense_size, seed) for seed, text in
                enumerate(["интернет жоқ", "пропал интернет с утра", "сәлем"])]
    expected = classifier.clf.predict_proba(LogisticRegressionClassifier._create_X(classifier, messages))
    classifier.process(messages)
    for message, row in zip(messages, expected):
        assert message.get("intent")["name"] == classifier.clf.classes_[row.argmax()]
        ranking = {entry["name"]: entry["confidence"] for entry in message.get("intent_ranking")}
        assert np.allclose([ranking[name] for name in classifier.clf.classes_], row, atol=1e-12)
