from django import template

from prospects.navigation import menu_for

register = template.Library()


@register.inclusion_tag("prospects/_nav.html", takes_context=True)
def panel_nav(context):
    request = context["request"]
    return {"groups": menu_for(request.user, request.path), "path": request.path}
