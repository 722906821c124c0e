"""Language id: noise does not change the language, an explicit request always wins."""
from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.text.language.detect import detect_language, requested_language
from bot.text.language.normalise import fold_text
from tests.properties.strategies import EMOJI, PUNCT

# «интернет» is in both languages' lexicons and counts for neither, so it is left out.
KK_WORDS = ["сәлеметсіз", "бе", "үйдегі", "жоқ", "істемей", "тұр", "рахмет",
            "қосыңызшы", "маман", "жіберіңізші", "ақшам", "түспеді", "кеше", "төледім", "логинім"]
RU_WORDS = ["здравствуйте", "не", "работает", "пропал", "вчера", "оплатил", "деньги",
            "помогите", "пожалуйста", "мастера", "вызовите", "спасибо", "очень", "медленно"]
# Customers write Kazakh with and without its special letters, and in Latin letters.
PLAIN_KK = str.maketrans("әғқңөұүһі", "агкноуухи")


@st.composite
def sentence(draw, lang: str) -> str:
    vocabulary = KK_WORDS if lang == "kk" else RU_WORDS
    words = draw(st.lists(st.sampled_from(vocabulary), min_size=2, max_size=7))
    text = " ".join(words)
    if lang == "kk" and draw(st.booleans()):
        text = text.translate(PLAIN_KK)
    return text


NOISE = st.lists(
    st.integers(min_value=0, max_value=10**10).map(str)
    | EMOJI
    | PUNCT
    | st.sampled_from(["+77011234567", "0851234567", "5000тг", "ok", "😊😊", "...", "?!"]),
    min_size=1, max_size=5,
)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["kk", "ru"]).flatmap(lambda lang: st.tuples(st.just(lang), sentence(lang))))
def test_sentences_of_one_language_are_that_language(case):
    lang, text = case
    assert detect_language(text).language == lang


def _same_guess(text: str, noisy: str) -> None:
    before, after = detect_language(text), detect_language(noisy)
    assert (after.language, after.kk_score, after.ru_score) == (before.language, before.kk_score, before.ru_score)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["kk", "ru"]).flatmap(sentence), NOISE)
def test_digits_emoji_and_punctuation_do_not_change_the_language(text, noise):
    _same_guess(text, f"{text} {' '.join(noise)}")


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["kk", "ru"]).flatmap(sentence), st.lists(EMOJI | PUNCT, min_size=1, max_size=4))
@example("интернет жок", ["!", "!", "👍"])
def test_punctuation_stuck_to_the_last_word_changes_nothing(text, marks):
    _same_guess(text, text + "".join(marks))


_REQUESTS = {
    "ru": ["на русском", "по-русски", "орысша", "на русском языке", "na russkom", "po russki"],
    "kk": ["на казахском", "қазақша", "казакша", "по-казахски", "qazaqsha", "қазақ тілінде"],
}


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["kk", "ru"]), st.sampled_from(["kk", "ru"]), st.data(), st.booleans())
def test_an_explicit_request_overrides_the_language_of_the_text(text_lang, asked, data, first):
    text = data.draw(sentence(text_lang))
    request = data.draw(st.sampled_from(_REQUESTS[asked]))
    message = f"{request} {text}" if first else f"{text}, {request}"
    found = requested_language(fold_text(message))
    assert found is not None and found.language == asked


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["kk", "ru"]).flatmap(sentence))
def test_no_request_without_a_language_name(text):
    assert requested_language(fold_text(text)) is None
