"""The restricted template engine: which tags and filters, which budgets, which errors."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_vox.exceptions import TemplateRenderError
from django_vox.templating import rendering
from django_vox.templating.rendering import TemplateLimitError


def test_the_tags_and_filters_an_editor_needs_work():
    source = (
        "{% if n > 1 %}{{ n }} items{% else %}one{% endif %};"
        "{% for x in items %}{% cycle 'a' 'b' %}{{ x|upper }}{% empty %}none{% endfor %};"
        "{% with t=title|truncatechars:5 %}{{ t }}{% endwith %};"
        "{% firstof missing title %};{% comment %}hidden{% endcomment %}"
        "{% spaceless %}<b> x </b> <i>y</i>{% endspaceless %};"
        "{% autoescape off %}{{ html }}{% endautoescape %};{{ html }};"
        "{{ when|date:'Y-m-d' }};{{ price|floatformat:2 }};{{ n|pluralize }};"
        "{% translate 'Yes' %};{% blocktranslate with who=title %}Hi {{ who }}{% endblocktranslate %}"
    )
    out = rendering.render(source, {"n": 2, "items": ["p", "q"], "title": "Hello world",
                                    "html": "<b>", "when": datetime.date(2026, 3, 1),
                                    "price": 3.5})
    assert out == ("2 items;aPbQ;Hell…;Hello world;<b> x </b><i>y</i>;<b>;&lt;b&gt;;"
                   "2026-03-01;3.50;s;Yes;Hi Hello world")


@pytest.mark.parametrize("tag,words", [
    ("{% load static %}", "cannot load tag libraries"),
    ("{% include 'admin/base.html' %}", "cannot use other templates"),
    ("{% extends 'admin/base.html' %}", "cannot use other templates"),
    ("{% debug %}", "server's internals"),
    ("{% url 'admin:index' %}", "links are given as variables"),
    ("{% csrf_token %}", "messages contain no forms"),
    ("{% ssi '/etc/passwd' %}", "cannot read files"),
])
def test_refused_tags_say_why_in_plain_words_and_name_the_line(tag, words):
    source = "Hello\n\n" + tag
    name = tag.split()[1]
    problem = rendering.check_template(source)
    assert problem == f"Line 3: {{% {name} %}} is not available: {problem.split(': ', 2)[2]}"
    assert words in problem
    with pytest.raises(TemplateRenderError, match="^Line 3: "):
        rendering.render(source, {})


@pytest.mark.parametrize("source,message", [
    ("a\n{% regroup x by y as z %}", "Line 2: {% regroup %} is not a tag notification templates"),
    ("a\nb\n{% lorem 100000000 w %}", "Line 3: {% lorem %} is not a tag"),
    ("{{ x|pprint }}", "Line 1: |pprint is not a filter notification templates can use"),
    ("\n{{ x|dictsort:'a' }}", "Line 2: |dictsort is not a filter"),
    ("{% if x %}\n{% endfor %}", "Line 2: {% endfor %} has no matching opening tag here."),
    ("x\n{{ object._meta }}", "Line 2: Template syntax error: Variables and attributes may not begin"),
])
def test_other_errors_name_the_line(source, message):
    assert rendering.check_template(source).startswith(message)


def test_unknown_tag_lists_the_usable_ones():
    problem = rendering.check_template("{% foo %}")
    for name in ("if", "for", "with", "firstof", "cycle", "now", "spaceless", "autoescape",
                 "comment"):
        assert name in problem
    assert "load" not in problem


def test_allowed_lists_are_explicit():
    assert set(rendering.ALLOWED_TAGS) | {"for"} >= {
        "if", "for", "with", "firstof", "cycle", "now", "spaceless", "autoescape", "comment"}
    assert not set(rendering.ALLOWED_FILTERS) & {"pprint", "dictsort", "json_script",
                                                 "unordered_list", "escapejs", "random"}
    assert not set(rendering.ALLOWED_TAGS) & set(rendering.REFUSED_TAGS)


def test_nested_loops_over_a_long_string_hit_the_iteration_budget():
    source = ("{% for a in s %}{% for b in s %}{% for c in s %}.{% endfor %}"
              "{% endfor %}{% endfor %}")
    with pytest.raises(TemplateLimitError, match="^Line 1: The template's loops ran more than"):
        rendering.render(source, {"s": "x" * 400})


def test_the_iteration_budget_counts_every_loop_of_the_message():
    source = "{% for a in s %}.{% endfor %}"
    with override_settings(DJANGO_VOX_TEMPLATE_LIMITS={"iterations": 10}):
        assert rendering.render(source, {"s": "x" * 10}) == "." * 10
        with rendering.message_budget():
            rendering.render(source, {"s": "x" * 6})
            with pytest.raises(TemplateLimitError):
                rendering.render(source, {"s": "x" * 6})
        with pytest.raises(TemplateLimitError):  # reversed and empty branches count as well
            rendering.render("{% for a in s reversed %}{% endfor %}", {"s": "y" * 11})


def test_loops_over_iterators_are_bounded_too():
    def endless():
        while True:
            yield 1

    # an iterator in the context becomes a list of at most 1000 items...
    assert rendering.render("{% for a in s %}{{ a }}{% endfor %}", {"s": endless()}) == "1" * 1000
    # ...and its loop spends the budget like any other
    with override_settings(DJANGO_VOX_TEMPLATE_LIMITS={"iterations": 10}):
        with pytest.raises(TemplateLimitError):
            rendering.render("{% for a in s %}{% endfor %}", {"s": endless()})


@pytest.mark.parametrize("source", [
    '{{ "x"|ljust:"60000000" }}', '{{ "x"|rjust:"60000000" }}', '{{ "x"|center:"60000000" }}',
    '{{ "x"|wordwrap:"60000000" }}', '{{ "x"|truncatechars:"60000000" }}',
    '{{ "x"|truncatewords:"60000000" }}', '{{ 1|floatformat:"60000000" }}',
    '{{ 1|stringformat:"060000000d" }}', '{{ "x"|ljust:width }}',
])
def test_filters_with_size_arguments_are_capped(source):
    with pytest.raises(TemplateLimitError, match='asks for more than 1000 characters'):
        rendering.render(source, {"width": 60_000_000})


def test_output_is_capped_while_it_is_made():
    limits = {"output": 100}
    with override_settings(DJANGO_VOX_TEMPLATE_LIMITS=limits):
        assert len(rendering.render("{{ s }}", {"s": "x" * 100})) == 100
        with pytest.raises(TemplateLimitError, match="longer than 100 characters"):
            rendering.render("{% for a in s %}{{ s }}{% endfor %}", {"s": "x" * 20})
        # values doubled in {% with %} stop at the cap before they are printed
        doubling = "".join(f"{{% with v{i + 1}=v{i}|add:v{i} %}}" for i in range(40))
        with pytest.raises(TemplateLimitError, match="The filter \\|add would make a value longer"):
            rendering.render(doubling + "done" + "{% endwith %}" * 40, {"v0": "xx"})


def test_time_budget():
    with override_settings(DJANGO_VOX_TEMPLATE_LIMITS={"seconds": 0}):
        with pytest.raises(TemplateLimitError, match="longer than 0 seconds"):
            rendering.render("{% for a in s %}{{ a }}{% endfor %}", {"s": "abc"})


def test_unknown_limit_is_a_configuration_error():
    with override_settings(DJANGO_VOX_TEMPLATE_LIMITS={"loops": 3}):
        with pytest.raises(ImproperlyConfigured, match="DJANGO_VOX_TEMPLATE_LIMITS.*'loops'"):
            rendering.render("x", {})


def test_a_tag_broken_across_lines_is_text_for_the_engine_and_for_the_checks():
    # Django's lexer reads "{%" followed by a newline as text, and so does everything
    # else: there is no second reading of the source that could disagree.
    source = "{%\nload static %}{{\n secret }}"
    assert rendering.check_template(source) is None
    assert rendering.render(source, {"secret": "s3cr3t"}) == source
