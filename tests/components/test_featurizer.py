"""SentenceCountVectorsFeaturizer gives the classifier exactly Rasa's sentence features."""
from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from nlu.components.featurizer import SentenceCountVectorsFeaturizer
from nlu.components.tokenizer import FoldingTokenizer

ROOT = Path(__file__).resolve().parents[2]
# Texts not in the training files: both languages, typos, Latin script, an
# emoji, digits, repeats, one letter, words the vocabulary has never seen.
UNSEEN = ["Сәлеметсіз бе, интернет істемей тұр", "Здравствуйте, пропал интернет", "интернет жок уже 2 дня!!",
          "internet jok", "uidegi internet qosylmai tur", "🙂", "мой логин 0851234568", "рахмет рахмет рахмет",
          "ok", "я", "интернет интернет интернет жоқ", "роутер мигает красным, кабель воткнут", "кеше кешке дейін жұмыс істеді, бүгін жоқ",
          "квантовая хромодинамика", "Интернет ПРОПАЛ", "wi-fi жоқ, кабельмен де жоқ"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = FoldingTokenizer.create(FoldingTokenizer.get_default_config(), storage, Resource("tok"), context)
    data = load_data(str(ROOT / "nlu" / "ru" / "diagnostics.yml"))
    data = data.merge(load_data(str(ROOT / "nlu" / "kk" / "diagnostics.yml")))
    tokenizer.process_training_data(data)
    pairs = []
    for number, settings in enumerate([{"analyzer": "word", "min_ngram": 1, "max_ngram": 2},
                                       {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5},
                                       {"analyzer": "word", "use_lemma": False}]):
        built = []
        for cls in (CountVectorsFeaturizer, SentenceCountVectorsFeaturizer):
            featurizer = cls.create({**cls.get_default_config(), **settings}, storage,
                                    Resource(f"{cls.__name__}{number}"), context)
            featurizer.train(data)
            built.append(featurizer)
        pairs.append(built)
    return tokenizer, pairs


@pytest.mark.parametrize("setting", [0, 1, 2], ids=["words", "char n-grams", "surface words"])
def test_sentence_features_are_rasas(trained, setting):
    tokenizer, pairs = trained
    rasas_featurizer, ours_featurizer = pairs[setting]
    for text in UNSEEN:
        rasas, ours = Message(data={TEXT: text}), Message(data={TEXT: text})
        tokenizer.process([rasas, ours])
        rasas_featurizer.process([rasas])
        ours_featurizer.process([ours])
        rasa_sequence, rasa_sentence = rasas.get_sparse_features(TEXT)
        our_sequence, our_sentence = ours.get_sparse_features(TEXT)
        assert our_sequence is None  # nothing reads them; not computed
        assert rasa_sentence.features.shape == our_sentence.features.shape
        assert rasa_sentence.features.dtype == our_sentence.features.dtype
        assert np.array_equal(rasa_sentence.features.toarray(), our_sentence.features.toarray()), text
        assert list(our_sentence.features.col) == sorted(our_sentence.features.col)


def test_known_words_are_counted(trained):
    tokenizer, pairs = trained
    featurizer = pairs[0][1]
    message = Message(data={TEXT: "интернет интернет жоқ"})
    tokenizer.process([message])
    featurizer.process([message])
    _, sentence = message.get_sparse_features(TEXT)
    vocabulary = featurizer.vectorizers[TEXT].vocabulary_
    internet, none = (token.lemma for token in message.get("text_tokens")[1:])  # folded spellings
    counts = dict(zip(sentence.features.col, sentence.features.data))
    assert counts[vocabulary[internet]] == 2
    assert counts[vocabulary[f"{internet} {none}"]] == 1  # word pairs too
    assert counts[vocabulary[none]] == 1
