"""Pieces the forms share: date-time formats of a datetime-local field, select options in
the form this WTForms version wants, and a list of checkboxes."""
from __future__ import annotations

from wtforms import SelectMultipleField, widgets

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms < 3.3 takes (value, label) pairs
    SelectChoice = None

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def choices(pairs) -> list:
    """Select options from (value, label) pairs in the form this WTForms version wants."""
    return [SelectChoice(value, label) if SelectChoice else (value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()
