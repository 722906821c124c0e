"""Home Internet logins.

The demo back office uses 10 digits starting with 08; customers may call any
6–20 letters/digits a login, so a keyword («логин», «лицевой счёт») next to
the token is accepted too.
"""

from __future__ import annotations

import re

LOGIN_SHAPE = re.compile(r"^[A-Za-z0-9_]{6,20}$")
DEMO_LOGIN = re.compile(r"(?<![\w+])0\d{7,11}(?![\w])")
_KEYWORD_LOGIN = re.compile(
    r"(?:логин\w*|login\w*|лицев\w*\s+сч[её]т\w*|лицев\w*|шот\w*|дербес\s+шот\w*|аккаунт\w*)"
    r"[\s:№#-]*(?:[а-яәғқңөұүһі]+\s+){0,2}?([A-Za-z0-9_]{6,20})(?![\w])",
    re.IGNORECASE,
)


def is_login_shaped(value: str) -> bool:
    """6–20 letters/digits with at least one digit."""
    value = value.strip()
    return bool(LOGIN_SHAPE.match(value)) and any(ch.isdigit() for ch in value)


def find_logins(text: str) -> list[tuple[int, int, str]]:
    """(start, end, login) for each login in the text."""
    found: dict[int, tuple[int, int, str]] = {}
    for match in DEMO_LOGIN.finditer(text):
        found[match.start()] = (match.start(), match.end(), match.group(0))
    for match in _KEYWORD_LOGIN.finditer(text):
        token = match.group(1)
        if is_login_shaped(token):
            found[match.start(1)] = (match.start(1), match.end(1), token)
    return sorted(found.values())
