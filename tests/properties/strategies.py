"""Shared generators: chat noise and the filler words customers write around data."""
from __future__ import annotations

from hypothesis import strategies as st

# Ordinary words of support chats that carry no number, date, login or phone.
KK_FILLER = ["сәлеметсіз", "бе", "менің", "интернет", "жоқ", "істемей", "тұр", "рахмет",
             "үйдегі", "көмектесіңізші", "өтінемін", "ақша", "түспеді", "қате", "жібердім"]
RU_FILLER = ["здравствуйте", "мой", "интернет", "не", "работает", "спасибо", "помогите",
             "пожалуйста", "деньги", "ошибся", "отправил", "дома", "срочно"]
FILLER = st.sampled_from(KK_FILLER + RU_FILLER)

EMOJI = st.sampled_from(["👍", "🙏", "😡", "🙂", "❤️", "🔥", "😭"])
PUNCT = st.sampled_from(list("!?.,…:;()\"«»–"))


def filler_words(max_size: int = 4) -> st.SearchStrategy[str]:
    return st.lists(FILLER, max_size=max_size).map(" ".join)
