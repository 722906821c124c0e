"""Logins: found exactly inside chat text, and the shape check says what it claims."""
from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.parsing.login import find_logins, is_login_shaped
from tests.properties.strategies import filler_words

DEMO_LOGIN = st.from_regex(r"08[0-9]{8}", fullmatch=True)  # the back office's 10 digits
# Any 6–20 letters/digits/underscore with a digit (named by a keyword).
OTHER_LOGIN = st.text(string.ascii_letters + string.digits + "_", min_size=6, max_size=20).filter(
    lambda s: any(c.isdigit() for c in s))
KEYWORDS = st.sampled_from(["логин", "логинім", "логиним", "мой логин", "login", "лицевой счёт",
                            "лицевой счет", "дербес шот", "аккаунт", "логин:", "логин №"])


@settings(max_examples=80, deadline=None)
@given(DEMO_LOGIN, filler_words(), filler_words())
def test_demo_login_is_found_anywhere(login, before, after):
    text = f"{before} {login}, {after}"
    assert [f[2] for f in find_logins(text)] == [login]


@settings(max_examples=80, deadline=None)
@given(DEMO_LOGIN | OTHER_LOGIN, KEYWORDS, filler_words(), filler_words())
def test_login_after_a_keyword_is_found_exactly(login, keyword, before, after):
    text = f"{before} {keyword} {login} {after}".strip()
    [(start, end, found)] = find_logins(text)
    assert found == login and text[start:end] == login


def _by_definition(value: str) -> bool:
    value = value.strip()
    allowed = set(string.ascii_letters + string.digits + "_")
    return 6 <= len(value) <= 20 and set(value) <= allowed and any(c in string.digits for c in value)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=24) | OTHER_LOGIN | st.text(string.ascii_letters + string.digits + "_ ", max_size=24))
def test_is_login_shaped_is_its_definition(value):
    assert is_login_shaped(value) is _by_definition(value)


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=60))
def test_what_is_found_is_login_shaped(text):
    for start, end, login in find_logins(text):
        assert text[start:end] == login and is_login_shaped(login)
