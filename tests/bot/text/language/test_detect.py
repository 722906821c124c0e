import pytest

from bot.text.language.detect import detect_language, requested_language
from bot.text.language.normalise import fold_text, folded_spans, original_span


@pytest.mark.parametrize(
    "text",
    ["Сәлеметсіз бе, интернет істемей тұр", "уйдеги интернет жок", "uidegi internet jok",
     "internet istemei tur", "Операторға қосыңызшы", "рахмет",
     "мастер жіберіңізші срочно", "оплатил етіп едім бірақ ақша түспеді"],
)
def test_kazakh_in_any_script_and_mixed_with_russian(text):
    assert detect_language(text).language == "kk"


@pytest.mark.parametrize(
    "text",
    ["Здравствуйте, пропал интернет", "internet ne rabotaet", "спасибо", "да", "да, согласен",
     "сәлеметсіз бе, интернет не работает уже два дня и никто не помогает"],
)
def test_russian_including_translit_and_a_kazakh_greeting(text):
    assert detect_language(text).language == "ru"


@pytest.mark.parametrize("text", ["0851234567", "👍", "ok", "", "+77011234567"])
def test_no_evidence_keeps_the_conversation_language(text):
    assert detect_language(text).language is None


@pytest.mark.parametrize(
    "text, language, words",
    [
        ("давайте на русском", "ru", "на русском"),
        ("Қазақша жазыңызшы", "kk", "Қазақша"),
        ("можно по-русски?", "ru", "по-русски"),
        ("пишите на казахском", "kk", "на казахском"),
        ("kazakhsha jaz", "kk", "kazakhsha"),
        ("я не понимаю по-казахски", "ru", "по-казахски"),
    ],
)
def test_explicit_requests_and_their_words(text, language, words):
    folded, spans = folded_spans(text)
    request = requested_language(folded)
    assert request.language == language
    start, end = original_span(spans, request.start, request.end)
    assert text[start:end] == words


def test_folding_makes_three_spellings_one():
    assert fold_text("Үйдегі интернет жоқ") == fold_text("уйдеги интернет жок") == fold_text("uidegi internet jok")


@pytest.mark.parametrize("text, language", [
    ("Я живу на улице Сығанақ", "ru"),              # a street is a name, not Kazakh
    ("Плательщик: Жұмабаев Нұрлан, вчера оплатил", "ru"),
    ("Мен Алматыдан жазып отырмын, интернет жоқ", "kk"),
    ("Рахмет. Қашан келеді?", "kk"),               # a capital after a full stop starts a sentence
])
def test_capitalised_names_inside_a_sentence_do_not_decide(text, language):
    assert detect_language(text).language == language


def test_entity_spans_are_not_read():
    text = "Меня зовут Асанов Асан Асанұлы"
    assert detect_language(text, ignore=[(11, len(text))]).language == "ru"
    assert detect_language("асанов асан асанұлы", ignore=[(0, 19)]).language is None


def test_char_ngram_model_learns_kazakh_without_its_letters():
    from bot.text.language.detect import CharNgramModel

    model = CharNgramModel.train([("интернет жоқ қосылмай тұр", "kk"), ("маман жіберіңізші", "kk"),
                                  ("интернет не работает", "ru"), ("пришлите мастера", "ru")])
    assert detect_language("косылмаи тур", model).language == "kk"
    assert detect_language("не работает", model).language == "ru"
    assert CharNgramModel.from_dict(model.to_dict()).word_score("жибериниз") == model.word_score("жибериниз")
