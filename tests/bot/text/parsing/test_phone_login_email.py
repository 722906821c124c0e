import pytest

from bot.text.parsing.email import find_emails
from bot.text.parsing.login import find_logins, is_login_shaped
from bot.text.parsing.phone import find_phones, normalise_phone


@pytest.mark.parametrize(
    "text",
    ["+7 (701) 123-45-67", "87011234567", "8 701 123 45 67", "701-123-45-67",
     "7011234567", "+77011234567", "8(701)1234567"],
)
def test_every_common_spelling_normalises_to_plus77(text):
    assert normalise_phone(text) == "+77011234567"
    assert [p[2] for p in find_phones(f"менің нөмірім {text} ғой")] == ["+77011234567"]


@pytest.mark.parametrize("text", ["0851234567", "12345", "+1 212 555 0100", "3131"])
def test_not_a_kazakhstan_mobile(text):
    assert normalise_phone(text) is None


def test_demo_login_is_a_login_not_a_phone():
    text = "логинім 0851234567, нөмірім 87011234567"
    assert [l[2] for l in find_logins(text)] == ["0851234567"]
    assert [p[2] for p in find_phones(text)] == ["+77011234567"]


def test_login_named_by_keyword_may_have_letters():
    assert [l[2] for l in find_logins("лицевой счет ab123456")] == ["ab123456"]


@pytest.mark.parametrize("value, ok", [("0851234567", True), ("ab12", False), ("abcdefgh", False),
                                       ("a" * 21 + "1", False), ("08512 34567", False)])
def test_login_shape(value, ok):
    assert is_login_shaped(value) is ok


def test_email_is_lower_cased():
    assert find_emails("почта A.Asanov@Mail.kz спасибо") == [(6, 22, "a.asanov@mail.kz")]
