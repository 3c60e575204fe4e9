"""4.x setting values: markdown2 extras, the 4.x ACTIVITY_REGEX, and the checks."""

import pytest
from django.core import checks

from django_vox.compat.vox4settings import (
    check_vox4_settings,
    is_vox4_activity_regex,
    markdown_extensions,
)

VOX4_DEFAULT_EXTRAS = ["footnotes", "link_patterns", "smarty-pants", "tables"]
VOX4_ACTIVITY_REGEX = r"activity/(?P<id>[0-9a-z\-]+)/$"


def test_markdown2_names_map_to_python_markdown_extensions():
    assert markdown_extensions(VOX4_DEFAULT_EXTRAS) == (
        ["footnotes", "markdown.extensions.smarty", "tables"], ["link_patterns"])
    assert markdown_extensions(["fenced-code-blocks", "fenced_code_blocks", "header-ids",
                                "toc", "break-on-newline", "metadata"]) == (
        ["markdown.extensions.fenced_code", "markdown.extensions.toc", "toc",
         "markdown.extensions.nl2br", "markdown.extensions.meta"], [])


def test_python_markdown_names_pass_through():
    extension = object()
    assert markdown_extensions(["markdown.extensions.tables", "abbr", extension]) == (
        ["markdown.extensions.tables", "abbr", extension], [])
    assert markdown_extensions(None) == ([], [])


def test_every_mapped_extension_loads():
    import markdown

    from django_vox.compat.vox4settings import MARKDOWN2_EXTRAS

    for name in filter(None, MARKDOWN2_EXTRAS.values()):
        if name.endswith("codehilite"):
            continue  # needs Pygments for output, loads without it
        markdown.Markdown(extensions=[name]).convert("# x")


def test_the_4x_activity_regex_is_recognised():
    assert is_vox4_activity_regex(VOX4_ACTIVITY_REGEX)
    assert not is_vox4_activity_regex(r"^(?P<path>(?:[^/]+/)+)(?P<box>inbox|outbox)$")
    assert not is_vox4_activity_regex(None)
    assert not is_vox4_activity_regex("(unclosed")


def test_checks_name_the_settings(settings):
    settings.DJANGO_VOX_MARKDOWN_EXTRAS = VOX4_DEFAULT_EXTRAS + ["wiki-tables"]
    settings.DJANGO_VOX_ACTIVITY_REGEX = VOX4_ACTIVITY_REGEX
    found = check_vox4_settings()
    assert [(m.id, m.obj) for m in found] == [
        ("django_vox.W030", "DJANGO_VOX_MARKDOWN_EXTRAS"),
        ("django_vox.W031", "DJANGO_VOX_ACTIVITY_REGEX")]
    assert "link_patterns, wiki-tables" in found[0].msg
    assert all(isinstance(m, checks.Warning) for m in found)


@pytest.mark.parametrize("extras", [[], ["tables", "markdown.extensions.toc"]])
def test_no_warning_for_python_markdown_settings(settings, extras):
    settings.DJANGO_VOX_MARKDOWN_EXTRAS = extras
    assert check_vox4_settings() == []
