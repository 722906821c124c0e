"""A rating answer is read from the whole message: typed, tapped or said on the phone."""
import pytest

from bot.text.parsing.rating import find_ratings
from nlu.components.entity_extractor import extract_entities


@pytest.mark.parametrize("text, rating", [
    ("5", 5), ("1", 1), ("5.", 5), ("5!!!", 5), ("5ка", 5), ("5-ке", 5),
    # the IVR's speech recognition writes what the caller said
    ("бес", 5), ("пять", 5), ("Төрт", 4), ("четыре", 4), ("бір", 1), ("один", 1),
    ("бестік", 5), ("бестікке бағалаймын", 5), ("бестен төрт", 4), ("менің бағам бес", 5), ("5 жұлдыз", 5),
    ("3 балл қойдым", 3), ("рахмет, бес!", 5), ("bes", 5), ("tort", 4), ("бестик", 5),
    ("на пятёрку", 5), ("пятерка", 5), ("твёрдая четвёрка", 4), ("кол", 1), ("ставлю 5", 5), ("оценка 3", 3),
    ("5 баллов", 5), ("4 из 5", 4), ("5 из пяти", 5), ("спасибо, 5", 5), ("всё отлично, 5", 5),
])
def test_a_rating_answer_gives_its_mark(text, rating):
    [(start, end, value)] = find_ratings(text)
    assert value == rating and text[start:end].strip()


@pytest.mark.parametrize("text", [
    "5 сағат", "2 часа назад", "5000", "5к", "пятого", "10", "0", "6", "4 или 5", "5/5", "оценка", "бірге",
    "логин 0851234567", "интернет не работает уже 5 дней", "десять",
])
def test_anything_else_gives_none(text):
    assert find_ratings(text) == []


def test_a_whole_message_mark_is_a_rating_not_an_amount():
    """«пятёрку» alone answers the rating question (an amount question's form reads
    its own answer: actions/payment_data.py); in a sentence it stays 5 000 tenge."""
    assert [(e["entity"], e["value"]) for e in extract_entities("на пятёрку")] == [("rating", 5)]
    assert [e["entity"] for e in extract_entities("оплатил пятёрку")] == ["amount"]
