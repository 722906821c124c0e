"""Tell Kazakh from Russian in real chat text, per message.

Off-the-shelf detectors call «уйдеги интернет жок» Russian and give no answer
on Latin-script Kazakh, so Dana scores words herself, on their folded form
(normalise.py), in three layers:

- Kazakh letters are strong evidence — except inside proper names: a
  Russian customer's «Асанов Асан Асанұлы» or «улица Сығанақ» says nothing
  about the language they write in, so entity values (names, logins, phones,
  e-mails, amounts) and capitalised words after the first are not read.
- Small function-word and support-vocabulary lexicons, and Kazakh suffixes.
- A character n-gram model (``CharNgramModel``) trained with the NLU model on
  the training examples of each language (folded, so it knows Kazakh typed
  without its letters and in Latin script); it decides what the lexicons
  leave open and weighs in on every word.

Mixed text goes to the language with more evidence; too little evidence (a
login, an emoji, «ok», «оператор») gives no answer, so the conversation keeps
its language.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from bot.text.language.normalise import KAZAKH_LETTERS, WORD, fold_word

# Folded forms (ә→а, қ→к, ү/ұ→у, і/й→и …), so Cyrillic with or without the
# special letters and Latin-script words all land here.
KK_WORDS = frozenset(
    """
    жок жоқ бар емес керек кажет иа ия иэ ие жараиды жараиды болады болмаиды
    рахмет рахмат салем салеметсиз салеметсизбе саламатсызба сау болыныз
    калаи калаисыз кашан неге ушин неше кандаи кандаи кимге кеше бугин ертен
    мен сен сиз биз олар маган саган сизге бизге менин сенин сизин бизин менде
    сизде ол бул осы сол мына анау уидеги уиде уиге уи интернетим логиним
    логинимди нимирим номирим телефоным истемеи истемеиди истемеди иистемеи
    тур тураган жатыр отыр келмеди келмеиди тусмеди туспеди туспеи туспеиди
    откен откенде бирак ушин деп деген коп аз тез баяу жаксы жаман бари барин
    ма ме ба бе па пе ғои гои кои гой кой шы ши мага
    косылмаи косылмаиды косылмады косу косып косыныз косынызшы жибериниз
    жибериныз жиберинизши келсин келеди келиниз керекпин отинем отиниш отинимди
    отинишим отиним тексериниз тексерип тексеру айтыныз жазыныз жазынызшы
    сураи сурак бериниз бериныз толедим толеп толем толемим акша акшам акшасы
    теннге тенгерим тенгеримди ауыстыру ауыстырдым ауыстырсам ауыстыргым
    озгерту кошу коштик кошемин бугаттау кааитару каитару каитарамын
    сынды сынып жогалды жогалтып алдым бердим бердик калды калады кетти кетеди
    ошип ошти ошеди жанады болды болмады болса болмаса кашанга дейин
    маман шебер теледидар кабель кабели узилди узилип уздик жылдамдыгы
    операторга операторды адамга адаммен сойлеским киммен
    туралы бойынша аркылы ишинде кеиин соц соң бурын бурн
    калаисын салам саламатсыз сагат минут кун апта аи жыл
    иэ ыя иа жок жо жокпын жарамаиды дурыс бурыс калаимын каламаимын билмеимин
    келисемин келиспеимин арине албетте макул солаи мынау мына анау кане кандаи
    кеттик бериниз айтшы айтыныз комек комектесиниз комектесинизши кажет кажетпе
    """.split()
)
RU_WORDS = frozenset(
    """
    не нет да и а в во на у с со к по за из от до для про без при над под
    меня мне мой моя мое мои мною вас вам ваш ваша вы я мы он она они это
    что как когда почему где куда зачем сколько какой какая какие кто чем
    уже еще ещё тоже очень просто сеичас сегодня вчера позавчера завтра
    здравствуите здравствуи привет добрыи день вечер утро спасибо благодарю
    пожалуиста можно нужно надо хочу хотим есть был была было были будет
    все всё работает работаит работают пропал пропало отвалился отваливается
    пишет тормозит тупит грузит включается подключить подключите отключить
    оплатил оплатила оплата деньги денег счет счета баланс тариф тарифа
    перезвоните позвоните соедините позовите оператора человека помогите
    заявку заявка заявки мастера мастер придет приедет ждать жду ждем
    переезжаю переезд адрес блокировка заблокировать вернуть роутера
    приставку приставка пульт сломал сломался потерял удалите данные
    спасибки спс понятно понял поняла хорошо ладно конечно давайте
    подтверждаю отмена отменить ничего никак совсем опять снова постоянно
    скорость медленно низкая интернета интернетом кабель кабеля порвали
    перерезали провод провода телевизор каналы показывает
    или либо если чтобы помогло помогите помогает фамилия имя отчество сумма суммы
    платежа платеж платёж заплатил чек чека номер номера логина
    ты тебя тебе твои твоя твое ваше вашего нас нам наш наша наши этот эта эти
    там тут здесь вот ну же ли бы только кого кому чего чему его ее их который
    которая которые нибудь кто-нибудь ничего нечего никто нельзя неа ага угу
    хочется скажите подскажите объясните узнать знаю понимаю могу можете
    будьте добры извините простите сделать сделайте через после перед уже
    """.split()
)
# A word in both lists says nothing about the language.
_SHARED = KK_WORDS & RU_WORDS
KK_WORDS = KK_WORDS - _SHARED
RU_WORDS = RU_WORDS - _SHARED

# Kazakh-only endings (folded). Russian words ending so are rare.
_KK_SUFFIX = re.compile(
    r"(мын|мин|пын|пин|быз|биз|мыз|миз|сыз|сиз|ныз|низ|ныздар|шы|ши|ган|ген|"
    r"кан|кен|даги|деги|таги|теги|дагы|дегы|лар|лер|дар|дер|тар|тер|мади|меди|"
    r"мады|пады|педи|баиды|беиди|паиды|пеиди|маиды|меиди|ымды|имди|ымыз|имиз|"
    r"ынды|инди|ынызды|иниздн|сын|син)$"
)
_RU_SUFFIX = re.compile(
    r"(ть|ться|тся|ого|его|ому|ему|ая|яя|ое|ее|ые|ие|ыи|ии|ешь|ишь|ете|ите|ют|ят|ал|ала|ало|или|ыли)$"
)

_REQ_RU = re.compile(
    r"\b(на\s+русском|на\s+русскии|по\s*-?\s*русски|русскии\s+язык\w*|русском\s+язык\w*|"
    r"орысша|орыс\s+тил\w*|russkom|po\s*-?\s*russki)\b"
)
_REQ_KK = re.compile(
    r"\b(на\s+казахском|на\s+казахскии|по\s*-?\s*казахски|казахскии\s+язык\w*|"
    r"казахском\s+язык\w*|казакша|казахша|казак\s+тил\w*|kazakhsha|qazaqsha|kazaksha)\b"
)
# «я не понимаю по-казахски» asks for Russian, «орысша түсінбеймін» for Kazakh.
_NEGATED = re.compile(r"\b(не\s+понимаю|не\s+знаю|не\s+говорю|не\s+владею|тусинбеимин|билмеимин|тусинбеим)\b")


@dataclass(frozen=True)
class LanguageGuess:
    language: str | None  # "kk", "ru" or None when the text gives no evidence
    kk_score: float
    ru_score: float


class CharNgramModel:
    """Naive Bayes over the character 1–4-grams of folded words, kk against ru.

    ``word_score`` is the mean log-likelihood ratio of a word's n-grams
    (positive = Kazakh), so a long word counts no more than a short one.
    Trained from (text, language) pairs; ``to_dict``/``from_dict`` persist it.
    """

    ORDER = 4
    SMOOTHING = 0.5

    def __init__(self, counts: dict[str, Counter]) -> None:
        self.counts = counts
        self._totals = {lang: sum(c.values()) for lang, c in counts.items()}
        self._vocabulary = len(set(counts.get("kk", {})) | set(counts.get("ru", {}))) or 1
        self._cache: dict[str, float] = {}

    @classmethod
    def train(cls, examples: Iterable[tuple[str, str]]) -> "CharNgramModel":
        counts: dict[str, Counter] = {"kk": Counter(), "ru": Counter()}
        for text, lang in examples:
            if lang in counts:
                for word in evidence_words(text, ()):
                    counts[lang].update(_ngrams(fold_word(word)))
        return cls(counts)

    def to_dict(self) -> dict:
        return {lang: dict(c) for lang, c in self.counts.items()}

    @classmethod
    def from_dict(cls, data: dict) -> "CharNgramModel":
        return cls({lang: Counter(c) for lang, c in data.items()})

    def _log_p(self, gram: str, lang: str) -> float:
        return math.log(
            (self.counts[lang].get(gram, 0) + self.SMOOTHING) / (self._totals[lang] + self.SMOOTHING * self._vocabulary)
        )

    def word_score(self, folded: str) -> float:
        score = self._cache.get(folded)
        if score is None:
            grams = _ngrams(folded)
            score = (
                sum(self._log_p(g, "kk") - self._log_p(g, "ru") for g in grams) / len(grams)
                if grams and self._totals.get("kk") and self._totals.get("ru")
                else 0.0
            )
            if len(self._cache) < 50_000:
                self._cache[folded] = score
        return score


def _ngrams(folded: str) -> list[str]:
    padded = f"<{folded}>"
    return [
        padded[i : i + n]
        for n in range(1, CharNgramModel.ORDER + 1)
        for i in range(len(padded) - n + 1)
        if padded[i : i + n] not in ("<", ">")
    ]


def evidence_words(text: str, ignore: Sequence[tuple[int, int]]) -> list[str]:
    """The words that may speak for a language: no digits, e-mails, entity
    values (``ignore`` spans) or capitalised words after the first (names,
    streets, towns)."""
    found = []
    for match in WORD.finditer(text):
        raw = match.group(0).strip(".-+'")
        if not raw or any(ch.isdigit() for ch in raw) or "@" in raw:
            continue
        if any(match.start() < end and start < match.end() for start, end in ignore):
            continue
        capitalised = len(raw) > 1 and raw[:1].isupper() and raw[1:].islower()
        if capitalised and not _SENTENCE_START.search(text[: match.start()]):
            continue
        found.append(raw)
    return found


# Before a word that starts a sentence: nothing, or the end of the last one.
_SENTENCE_START = re.compile(r"(?:^|[.!?…\n])[\s\W]*$")


# How much one word's n-gram evidence counts against a lexicon hit (1.0), and
# the least total that names a language (below it: no evidence).
NGRAM_WEIGHT = 0.6
NGRAM_WORD_CAP = 1.5
MARGIN = 0.5


def detect_language(
    text: str,
    model: CharNgramModel | None = None,
    ignore: Sequence[tuple[int, int]] = (),
    second_opinion: Callable[[str], str | None] | None = None,
) -> LanguageGuess:
    """Score Kazakh against Russian evidence in one message.

    ``ignore``: character spans of entity values, which never decide the
    language. Without a ``model`` only letters, lexicons and suffixes count.
    ``second_opinion`` (bot.text.language.second_opinion) is asked about the same
    words when this evidence decides nothing.
    """
    kk = ru = 0.0
    found = evidence_words(text, ignore)
    for raw in found:
        if KAZAKH_LETTERS.search(raw):
            kk += 2.0
            continue
        w = fold_word(raw)
        if w in KK_WORDS:
            kk += 1.0
        elif w in RU_WORDS:
            ru += 1.0
        elif model is None:
            if len(w) >= 5 and _KK_SUFFIX.search(w):
                kk += 0.5
            elif len(w) >= 4 and _RU_SUFFIX.search(w):
                ru += 0.5
        if model is not None and len(w) > 1:
            score = max(-NGRAM_WORD_CAP, min(NGRAM_WORD_CAP, model.word_score(w))) * NGRAM_WEIGHT
            kk, ru = (kk + score, ru) if score > 0 else (kk, ru - score)
    if abs(kk - ru) < (MARGIN if model is not None else 1e-9):
        other = (
            second_opinion(" ".join(found))
            if second_opinion and any(len(w) >= 3 and w.isalpha() for w in found)
            else None
        )
        return LanguageGuess(other, kk, ru)
    return LanguageGuess("kk" if kk > ru else "ru", kk, ru)


@dataclass(frozen=True)
class LanguageRequest:
    language: str  # the language the customer asks for
    start: int  # span of the words naming a language, in the folded text
    end: int


def requested_language(folded: str) -> LanguageRequest | None:
    """An explicit request to switch language, read from folded text."""
    for pattern, asked, other in ((_REQ_RU, "ru", "kk"), (_REQ_KK, "kk", "ru")):
        match = pattern.search(folded)
        if match:
            language = other if _NEGATED.search(folded) else asked
            return LanguageRequest(language, match.start(), match.end())
    return None
