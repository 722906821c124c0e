"""Tell Kazakh from Russian in real chat text, per message.

Off-the-shelf detectors call «уйдеги интернет жок» Russian and give no answer
on Latin-script Kazakh, so Dana scores words itself: Kazakh letters are strong
evidence; otherwise folded words (see normalise.py) are looked up in small
function-word and support-vocabulary lexicons and checked for Kazakh suffixes.
Mixed text goes to the language with more evidence; no evidence (a login, an
emoji, «ok») gives no answer, so the conversation keeps its language.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.language.normalise import KAZAKH_LETTERS, fold_word, words

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


def detect_language(text: str) -> LanguageGuess:
    """Score Kazakh against Russian evidence in one message."""
    kk = ru = 0.0
    for raw in words(text):
        if any(ch.isdigit() for ch in raw) or "@" in raw:
            continue
        if KAZAKH_LETTERS.search(raw):
            kk += 2.0
            continue
        w = fold_word(raw)
        if w in KK_WORDS:
            kk += 1.0
        elif w in RU_WORDS:
            ru += 1.0
        elif len(w) >= 5 and _KK_SUFFIX.search(w):
            kk += 0.5
        elif len(w) >= 4 and _RU_SUFFIX.search(w):
            ru += 0.5
    if kk == ru:
        return LanguageGuess(None, kk, ru)
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
