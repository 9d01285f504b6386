"""Built into every template (TEMPLATES' OPTIONS "builtins"): a `{% url %}` that remembers constant results,
and the language switcher's options.

`{% url %}` keeps Django's syntax and behaviour (it is Django's tag); only when every argument is a literal
is the result remembered, per URLconf, script prefix, current app and language. A page has a dozen or more
such tags, each about 50 microseconds of resolving URL patterns, together a tenth of rendering a topic list.
The remembered URLs are forgotten when a setting they depend on changes (tests override them).
"""

from __future__ import annotations

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Library, Variable
from django.template.base import FilterExpression
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = Library()

urls: dict[tuple, str] = {}  # the remembered URLs of this process
_DEPENDS_ON = {"ROOT_URLCONF", "FORCE_SCRIPT_NAME", "LANGUAGES", "LANGUAGE_CODE", "INSTALLED_APPS"}


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs) -> None:
    if setting in _DEPENDS_ON:
        urls.clear()


def constant(expression: FilterExpression) -> bool:
    return not isinstance(expression.var, Variable) and not expression.filters


class ConstantURLNode(URLNode):
    """A `{% url %}` whose view name and arguments are all literals."""

    literal_args: tuple = ()
    literal_kwargs: tuple = ()

    def render(self, context) -> str:
        # what else decides the URL, read once per template rendered (each read costs a few microseconds)
        where = context.render_context.get(ConstantURLNode)
        if where is None:
            request = getattr(context, "request", None)
            current_app = getattr(request, "current_app", None)
            if current_app is None:
                current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
            where = context.render_context[ConstantURLNode] = (current_app, get_urlconf(), get_script_prefix())
        key = (self.view_name.var, self.literal_args, self.literal_kwargs, where, translation.get_language())
        url = urls.get(key)
        if url is None:
            try:
                url = reverse(self.view_name.var, args=self.literal_args, kwargs=dict(self.literal_kwargs),
                              current_app=where[0])
            except NoReverseMatch:
                if self.asvar is None:
                    raise
                url = ""  # as Django's tag: "as var" gets nothing; and nothing is kept
            else:
                urls[key] = url
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token) -> URLNode:
    node = django_url(parser, token)
    if constant(node.view_name) and all(map(constant, node.args)) \
            and all(map(constant, node.kwargs.values())):
        node.__class__ = ConstantURLNode
        node.literal_args = tuple(arg.var for arg in node.args)
        node.literal_kwargs = tuple((name, value.var) for name, value in node.kwargs.items())
    return node


url.__doc__ = django_url.__doc__

_options: dict[tuple, SafeString] = {}


@register.simple_tag
def language_options() -> SafeString:
    """The `<option>`s of the language switcher, the current language selected (built once per language)."""
    current = translation.get_language()
    key = (current, tuple(code for code, _name in settings.LANGUAGES))
    html = _options.get(key)
    if html is None:
        infos = [translation.get_language_info(code) for code, _name in settings.LANGUAGES]
        html = _options[key] = format_html_join(
            "", '<option value="{}" lang="{}"{}>{}</option>',
            ((info["code"], info["code"], mark_safe(" selected") if info["code"] == current else "",
              info["name_local"]) for info in infos))
    return html
