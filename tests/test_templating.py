"""config.templatetags.site (a `{% url %}` remembering constant results, the language options) and config.storage."""

from __future__ import annotations

import json

import pytest
from django.template import engines
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse, set_script_prefix
from django.utils import translation

from config.storage import StaticFilesStorage
from config.templatetags import site


def render(source: str, context: dict | None = None, request=None) -> str:
    return engines["django"].from_string(source).render(context or {}, request)


@pytest.fixture(autouse=True)
def _fresh_memo():
    site.urls.clear()
    yield
    site.urls.clear()
    set_script_prefix("/")


@pytest.fixture
def reverse_calls(monkeypatch):
    calls = []

    def counting(*args, **kwargs):
        calls.append(args[0])
        return reverse(*args, **kwargs)

    monkeypatch.setattr(site, "reverse", counting)
    return calls


def test_a_constant_url_is_reversed_once_and_stays_right(reverse_calls):
    for _ in range(3):
        assert render("{% url 'forum:latest' %}|{% url 'forum:search' %}") == \
            f"{reverse('forum:latest')}|{reverse('forum:search')}"
    assert reverse_calls == ["forum:latest", "forum:search"]


def test_literal_arguments_are_part_of_the_key(reverse_calls):
    html = render("{% url 'forum:category' 'news' %} {% url 'forum:category' slug='tips' %}")
    assert html == f"{reverse('forum:category', args=['news'])} {reverse('forum:category', kwargs={'slug': 'tips'})}"
    assert len(reverse_calls) == 2


def test_arguments_from_variables_use_djangos_tag_every_time(reverse_calls):
    source = "{% url 'forum:category' slug %}"
    assert render(source, {"slug": "one"}) == reverse("forum:category", args=["one"])
    assert render(source, {"slug": "two"}) == reverse("forum:category", args=["two"])
    assert reverse_calls == []  # Django's own node: its reverse, not the remembering one


def test_the_script_prefix_is_part_of_the_key():
    plain = render("{% url 'forum:latest' %}")
    set_script_prefix("/community/")
    assert render("{% url 'forum:latest' %}") == "/community" + plain


def test_a_changed_urlconf_forgets_what_was_remembered(settings):
    render("{% url 'forum:latest' %}")
    assert site.urls
    settings.ROOT_URLCONF = "config.urls"  # any change of the setting empties the memo
    assert not site.urls


def test_as_var_swallows_a_missing_route_and_remembers_nothing():
    assert render("{% url 'no-such-route' as link %}[{{ link }}]") == "[]"
    assert not site.urls
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-route' %}")


def test_as_var_puts_a_found_route_in_the_context():
    assert render("{% url 'forum:latest' as link %}<a href='{{ link }}'>") == f"<a href='{reverse('forum:latest')}'>"


def test_the_current_app_from_the_request_is_part_of_the_key():
    request = RequestFactory().get("/")
    request.current_app = "forum"
    assert render("{% url 'forum:latest' %}", request=request) == reverse("forum:latest", current_app="forum")
    assert {key[3][0] for key in site.urls} == {"forum"}


@pytest.mark.parametrize("language", ["en", "sw", "lv", "hy"])
def test_language_options_select_the_current_language(settings, language):
    with translation.override(language):
        html = render("{% language_options %}")
    for code, _name in settings.LANGUAGES:
        info = translation.get_language_info(code)
        selected = " selected" if code == language else ""
        assert f'<option value="{code}" lang="{code}"{selected}>{info["name_local"]}</option>' in html
    assert html.count("<option") == len(settings.LANGUAGES)


def test_the_language_switcher_on_a_page(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="lv")
    html = response.content.decode()
    assert '<select id="language-select" name="language">' in html
    assert '<option value="lv" lang="lv" selected>' in html


# --- config.storage --------------------------------------------------------------------------------------

@pytest.fixture
def storage(tmp_path, settings):
    settings.STATIC_URL = "/static/"
    (tmp_path / "staticfiles.json").write_text(json.dumps(
        {"version": "1.1", "paths": {"css/site.css": "css/site.0123abcd.css"}, "hash": "x"}))
    return StaticFilesStorage(location=str(tmp_path), base_url="/static/")


def test_static_urls_are_the_hashed_names_and_are_remembered(storage, settings):
    settings.DEBUG = False
    assert storage.url("css/site.css") == "/static/css/site.0123abcd.css"
    storage.hashed_files["css/site.css"] = "css/site.ffffffff.css"  # the manifest cannot change while running...
    assert storage.url("css/site.css") == "/static/css/site.0123abcd.css"  # ...so it is not read again


def test_static_urls_follow_debug(storage, settings):
    settings.DEBUG = True
    assert storage.url("css/site.css") == "/static/css/site.css"
    settings.DEBUG = False
    assert storage.url("css/site.css") == "/static/css/site.0123abcd.css"


def test_a_file_missing_from_the_manifest_is_an_error_every_time(storage, settings):
    settings.DEBUG = False
    for _ in range(2):
        with pytest.raises(ValueError):
            storage.url("css/missing.css")
