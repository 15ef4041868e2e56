"""How the panel renders forms: one field template for every form, in the project's
templates (``templates/forms/field.html``), so errors sit next to their field everywhere."""

from django.forms.renderers import TemplatesSetting


class PanelFormRenderer(TemplatesSetting):
    field_template_name = "forms/field.html"
