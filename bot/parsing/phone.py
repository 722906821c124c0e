"""Kazakhstan mobile numbers in any common spelling → +77XXXXXXXXX."""
from __future__ import annotations

import re

# 8 701 123 45 67, +7 (701) 123-45-67, 87011234567, 701-123-45-67, 7011234567
PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+\s?7|8|7)[\s\-]?)?\(?7\d{2}\)?[\s\-]?\d{3}[\s\-]?\d{2}[\s\-]?\d{2}(?!\d)"
)


def normalise_phone(text: str) -> str | None:
    """The number as +77XXXXXXXXX, or None when it is not a KZ mobile."""
    digits = re.sub(r"[^0-9]", "", text)  # \d would keep «٠»-style digits in the result
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    if len(digits) == 10 and digits[0] == "7":
        return "+7" + digits
    return None


def find_phones(text: str) -> list[tuple[int, int, str]]:
    """(start, end, normalised) for each phone number in the text."""
    found = []
    for match in PHONE.finditer(text):
        value = normalise_phone(match.group(0))
        if value:
            found.append((match.start(), match.end(), value))
    return found
