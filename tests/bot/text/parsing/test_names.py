import pytest

from bot.text.parsing.names import clean_full_name, find_full_names
from nlu.components.entity_extractor import extract_entities


@pytest.mark.parametrize(
    "text, name",
    [
        ("аты-жөнім Жақсылықова Гүлназ Ерланқызы", "Жақсылықова Гүлназ Ерланқызы"),
        ("Оспанова Әсел Маратқызы", "Оспанова Әсел Маратқызы"),  # surname first
        ("Тимофей Смирнов", "Тимофей Смирнов"),  # first name first
        ("Сергей Петрович Волков", "Сергей Петрович Волков"),
        ("Menin atym Aigerim Bekova", "Aigerim Bekova"),  # Latin script
        ("меня зовут ильяс нурланов", "Ильяс Нурланов"),  # lower case after an intro
        ("серикбаев ерлан", "Серикбаев Ерлан"),  # lower case, surname and first name
        ("менің атым ерсін жақсыбаев", "Ерсін Жақсыбаев"),
        ("ФИО: Садыков Бауыржан", "Садыков Бауыржан"),
        ("плательщик Мусин Артур", "Мусин Артур"),
        ("төлеуші Ахметова Сәуле", "Ахметова Сәуле"),
        ("на имя Асет Жумабаев", "Асет Жумабаев"),
        ("картаның иесі Жанар Оспанова", "Жанар Оспанова"),
        ("карта Ахметова Сәуленікі", "Ахметова Сәуле"),  # the Kazakh «belongs to» ending
        ("платила соседка Ким Ольга", "Ким Ольга"),
        ("Ахметов Ж.Б.", "Ахметов Ж.Б."),  # initials
        ("ИВАНОВ СЕРГЕЙ", "Иванов Сергей"),  # typed in capitals
    ],
)
def test_full_names(text, name):
    assert [n[2] for n in find_full_names(text)] == [name]


@pytest.mark.parametrize(
    "text, name",
    [
        ("на Белову Людмилу Ивановну", "Белова Людмила Ивановна"),  # her, accusative
        ("деньги от Кравцовой Анны", "Кравцова Анна"),  # her, genitive
        ("перевод от Беловой Людмилы Ивановны", "Белова Людмила Ивановна"),
        ("для Сидорова Петра Ивановича", "Сидоров Петр Иванович"),  # his, genitive
        ("карта на Сулейменову Асель", "Сулейменова Асель"),  # only the surname shows the case
        ("Иванову Сергею Петровичу отправил", "Иванов Сергей Петрович"),  # his, dative
        ("Иванова Мария", "Иванова Мария"),  # already the nominative
    ],
)
def test_declined_russian_names_come_back_in_the_nominative(text, name):
    assert [n[2] for n in find_full_names(text)] == [name]


@pytest.mark.parametrize(
    "text",
    [
        "Kaspi Gold арқылы төледім",  # brands
        "Халык Банк",
        "живу на улице Сатпаева",  # streets and addresses
        "Алматы, Абая 150",
        "Оплатил Иванов",  # a verb that only starts the sentence
        "ИНТЕРНЕТА НЕТ ОПЕРАТОР",  # capitals that are only shouting
        "уже много часов нет интернета",  # «-ов» without a first name
        "Спасибо Айгерим",
        "ТОО Арман Логистик",  # a company
        "кеше интернет ажыратулы болды",  # «-улы» that is no patronymic
        "несие каникулы деген не",
        "Жарайсың Дана, рахмет",
    ],
)
def test_not_a_name(text):
    assert find_full_names(text) == []


def test_a_whole_answer_is_tidied():
    assert clean_full_name("менің атым ерсін жақсыбаев") == "Ерсін Жақсыбаев"
    assert clean_full_name("асан асанов") == "Асан Асанов"
    assert clean_full_name("5000") is None


def test_overlaps_go_to_the_more_specific_entity():
    text = "Иванов Сергей, 5000 тг, кеше"
    found = [(e["entity"], text[e["start"]:e["end"]], e["value"]) for e in extract_entities(text)]
    assert [f[:2] for f in found] == [("full_name", "Иванов Сергей"), ("amount", "5000 тг"),
                                      ("payment_date", "кеше")]
