"""The per-sender rate limit on a running Dana (conftest: RATE_LIMIT messages
per window): a flood gets one polite answer in the sender's language and then
silence, other senders are served as usual, and the window passes."""
from __future__ import annotations

import itertools
import json
import os
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import List

import pytest

from tests.channels.conftest import RATE_LIMIT

LIMIT, WINDOW = map(int, RATE_LIMIT.split("/"))
_ids = itertools.count(1)
POLITE = {"kk": "Сіз тым жиі жазып жатырсыз", "ru": "Вы пишете очень часто"}


def say(dana, sender: str, text: str) -> List[str]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"{dana['url']}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return [m.get("text", "") for m in json.loads(answer.read()) if m.get("text")]


# A greeting: the same problem sent again and again would end in a hand-off
# (three unusable logins), after which Dana stays silent for the operator.
@pytest.mark.parametrize("lang, text", [("kk", "Сәлеметсіз бе"), ("ru", "Здравствуйте")])
def test_a_flood_gets_one_polite_answer_and_the_window_passes(dana, lang, text):
    flooder = f"rest-flood-{lang}-{next(_ids)}-{os.getpid()}"
    calm = f"rest-calm-{lang}-{next(_ids)}-{os.getpid()}"
    burst = LIMIT + 4
    started = time.monotonic()
    with ThreadPoolExecutor(burst + 1) as pool:
        flood = [pool.submit(say, dana, flooder, text) for _ in range(burst)]
        other = pool.submit(say, dana, calm, text)
        answers = [f.result() for f in flood]
        calm_answer = other.result()
    assert time.monotonic() - started < 60
    polite = [a for a in answers if any(POLITE[lang] in t for t in a)]
    silent = [a for a in answers if not a]
    served = [a for a in answers if a and a not in polite]
    assert len(polite) == 1, answers
    other_lang = "ru" if lang == "kk" else "kk"
    assert POLITE[other_lang] not in polite[0][0]
    assert len(polite[0]) == 1  # the polite answer alone, no «technical problem» with it
    assert len(silent) == burst - LIMIT - 1  # the rest of the flood: nothing at all
    assert len(served) == LIMIT
    assert calm_answer and not any(POLITE[lang] in t for t in calm_answer)  # another sender is unaffected

    time.sleep(max(0.0, WINDOW + 0.5 - (time.monotonic() - started)))
    again = say(dana, flooder, text)
    assert again and not any(POLITE[lang] in t for t in again)  # served again after the window
