"""How part of nlu/kk was made: hand-written examples, plus respellings customers
really type — Kazakh without its special letters («уйдеги интернет жок») and in
Latin script («uidegi internet jok»). Kept for transparency; the YAML files are
the data (generated once, then reviewed). Usage: python scripts/respell_nlu.py SRC_DIR
"""
from __future__ import annotations

import random
import sys

FOLD = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")
LATIN = {"а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "yo", "ж": "j",
         "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n", "ң": "n", "о": "o",
         "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "h",
         "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e",
         "ю": "yu", "я": "ya"}


def latin(text: str) -> str:
    return "".join(LATIN.get(ch, ch) for ch in text.lower())


def respellings(examples: list[str], rng: random.Random, folded: int, latins: int) -> list[str]:
    plain = [e for e in examples if "[" not in e]  # annotated spans stay hand-written
    rng.shuffle(plain)
    out = [e.translate(FOLD).lower() for e in plain[:folded]]
    out += [latin(e).strip("?!") for e in plain[folded:folded + latins]]
    return out


def block(intent: str, examples: list[str]) -> str:
    seen: list[str] = []
    for e in examples:
        if e.lower() not in {s.lower() for s in seen}:
            seen.append(e)
    return f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {e}\n" for e in seen)


# The batches the respellings were drawn in (one random stream, in this order), named as
# the files were then. Since issue 17 each intent's block is in nlu/kk/<its topic>.yml
# (docs/flows.md «Topics»): connectivity → diagnostics; request_callback → callback;
# request_human → handoff; payments → refund, payment_check, info; tariffs → info;
# account → info, consent.
TOPICS = {
    "general": ["greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "request_human", "out_of_scope", "switch_language"],
    "connectivity": ["internet_down", "internet_after_password_change", "internet_unstable", "internet_slow", "cable_damaged", "tv_not_working"],
    "technician": ["request_technician", "request_status", "request_callback"],
    "payments": ["paid_wrong_login", "payment_not_credited", "check_balance"],
    "tariffs": ["change_tariff", "tariff_info", "mobile_traffic_balance", "mobile_number_question", "static_ip"],
    "account": ["relocation", "voluntary_block", "equipment_return", "equipment_damaged", "privacy_request"],
}

if __name__ == "__main__":
    sys.path.insert(0, sys.argv[1])
    from kk1 import KK
    from kk2 import KK2
    from kk3 import KK3

    rng = random.Random(11)
    natural = {**KK, **KK2, **KK3}
    header = ('version: "3.1"\n# Hand-written Kazakh; about a third of each intent are the same sentences respelled\n'
              "# without special letters and in Latin script (scripts/respell_nlu.py).\nnlu:\n")
    for topic, intents in TOPICS.items():
        text = header
        for intent in intents:
            base = natural[intent].split("|")
            text += block(intent, base + respellings(base, rng, 10, 8))
        open(f"nlu/kk/{topic}.yml", "w", encoding="utf-8").write(text)
