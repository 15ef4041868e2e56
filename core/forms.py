"""How the panel's forms render, and take a service's errors: one field template for every
form (``templates/forms/field.html``), so errors sit next to their field everywhere."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting

from core.fields import NoControlCharacters


class PanelFormRenderer(TemplatesSetting):
    field_template_name = "forms/field.html"


class PlainTextField(forms.CharField):
    """Text a person of the team writes (``core.fields``' rule): one line, or ``multiline``
    in a textarea; a control character is an error next to the field."""

    def __init__(self, *, multiline: bool = False, **kwargs):
        if multiline:
            kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2, "class": "wide"}))
        super().__init__(**kwargs)
        self.validators.append(NoControlCharacters(multiline=multiline))


def add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Puts a service's field errors onto ``form``. The service may name a field its own
    way (the form's ``service_names``); what the form has no field for is form-wide."""
    names = getattr(form, "service_names", {})
    for key, problems in error.update_error_dict({}).items():
        name = names.get(key, key)
        form.add_error(name if name in form.fields else None, problems)
