"""The messages WTForms and Flask-WTF write themselves ("This field is required.") in the
interface language.

WTForms ships no Indonesian catalogue, so the messages its fields and validators can show
are marked here for extraction into our own catalogue, and every FlaskForm asks that
catalogue for them (WTForms formats the parameters itself)."""
from __future__ import annotations

from flask_babel import get_translations, lazy_ngettext
from flask_wtf import FlaskForm


def N_(msgid: str) -> str:
    """Mark a msgid for extraction; WTForms asks for its translation when it shows it."""
    return msgid


# msgids exactly as WTForms 3 / Flask-WTF 1 write them
MESSAGES = (
    N_("This field is required."),
    N_("Invalid input."),
    N_("Field must be equal to %(other_name)s."),
    lazy_ngettext("Field must be at least %(min)d character long.",
                  "Field must be at least %(min)d characters long.", 2),
    lazy_ngettext("Field cannot be longer than %(max)d character.",
                  "Field cannot be longer than %(max)d characters.", 2),
    lazy_ngettext("Field must be exactly %(max)d character long.",
                  "Field must be exactly %(max)d characters long.", 2),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Date must be at least %(min)s."),
    N_("Date must be at most %(max)s."),
    N_("Date must be between %(min)s and %(max)s."),
    N_("Invalid email address."),
    N_("Invalid URL."),
    N_("Invalid value, must be one of: %(values)s."),
    N_("Invalid value, can't be any of: %(values)s."),
    N_("This field cannot be edited."),
    N_("This field is disabled and cannot have a value."),
    N_("Not a valid choice."),
    N_("Invalid Choice: could not coerce."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    lazy_ngettext("'%(value)s' is not a valid choice for this field.",
                  "'%(value)s' are not valid choices for this field.", 2),
    N_("Not a valid datetime value."),
    N_("Not a valid date value."),
    N_("Not a valid time value."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid float value."),
    N_("File does not have an approved extension: {extensions}"),
    N_("File does not have an approved extension."),
)


class CatalogueTranslations:
    """The gettext interface WTForms calls, answered from the application's catalogue."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


TRANSLATIONS = CatalogueTranslations()


class Form(FlaskForm):
    """The base of every form here: WTForms' own messages come from our catalogue (Flask-WTF
    would look in WTForms' catalogue, which has no Indonesian)."""

    class Meta:
        def get_translations(self, form):
            return TRANSLATIONS
