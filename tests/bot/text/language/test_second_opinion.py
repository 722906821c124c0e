"""lingua's opinion counts only where Dana's own evidence decides nothing."""
import pytest

from bot.text.language.detect import detect_language
from bot.text.language.second_opinion import lingua_opinion


def test_asked_only_when_the_evidence_decides_nothing():
    asked = []

    def opinion(text):
        asked.append(text)
        return "ru"

    assert detect_language("интернет жоқ", second_opinion=opinion).language == "kk"
    assert detect_language("0851234567 👍", second_opinion=opinion).language is None  # no words to ask about
    assert asked == []
    assert detect_language("министр финансов", second_opinion=opinion).language == "ru"
    assert asked == ["министр финансов"]


@pytest.mark.parametrize("text, language", [
    ("министр финансов", "ru"), ("другом полом", "ru"), ("оператор", None), ("интернет", None), ("ок", None),
])
def test_lingua_decides_general_russian_but_not_words_of_both_languages(text, language):
    assert lingua_opinion()(text) == language
