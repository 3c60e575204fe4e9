"""What a digest says: its default subject and content (for every kind of
backend), where an editor's own come in, and the variables it is rendered with."""

from django.utils.safestring import mark_safe

from django_vox.backends import backends as backend_registry
from django_vox.templating import sandbox

__all__ = ["DEFAULT_CONTENT", "DEFAULT_CONTENTS", "DEFAULT_SUBJECT", "KEY_VALUE_CONTENT",
           "default_digest", "digest_context", "digest_source"]

#: The first item's subject, "(and N more)" after it: see templating.digestparts.
DEFAULT_SUBJECT = "{% digest_subject %}"
_COUNT = ('{{ count }} notification{{ count|pluralize }} since '
          '{{ window.start|date:"DATETIME_FORMAT" }}:')
#: A count, then each item's subject and text (templating.digestparts), so
#: editors start from words rather than a loop.
DEFAULT_CONTENT = _COUNT + "\n\n{% digest_items %}"
#: The default content by the backend's ``EDITOR_TYPE``: for HTML and Markdown
#: the count is a paragraph and the items have headings and rules between them.
DEFAULT_CONTENTS = {
    "basic": DEFAULT_CONTENT,
    "html": f"<p>{_COUNT}</p>\n{{% digest_items html %}}",
    "markdown": _COUNT + "\n\n{% digest_items markdown %}",
}

#: The default digest of a backend whose content is ``key: value`` lines (a
#: JSON webhook, a Postmark template model): one line per value.
KEY_VALUE_CONTENT = (
    'count: {{ count }}\nwindow_start: {{ window.start|date:"c" }}\n'
    'window_end: {{ window.end|date:"c" }}\nsubject: ' + DEFAULT_SUBJECT + "\n"
    "items: {% for item in items %}{% if item.subject %}{{ item.subject }}: {% endif %}"
    "{{ item.text }}{% if not forloop.last %} | {% endif %}{% endfor %}")


def default_digest(template) -> tuple:
    """``(subject, content)`` of the digest made from an individual template:
    each item's own subject and text, in order, under a count (as ``key:
    value`` lines for the backends whose content is made of them), laid out
    for the backend's markup (``EDITOR_TYPE``: plain text, HTML or Markdown)."""
    subject = DEFAULT_SUBJECT if template.subject else ""
    backend_class = backend_registry.get(template.backend)
    content = DEFAULT_CONTENTS.get(getattr(backend_class, "EDITOR_TYPE", ""), DEFAULT_CONTENT)
    if getattr(backend_class, "KEY_VALUE_CONTENT", False):
        content = KEY_VALUE_CONTENT
    elif template.backend == "email":  # the Django-template email backend names its parts
        content = ("{% block subject %}" + DEFAULT_SUBJECT + "{% endblock %}"
                   "{% block text_body %}" + DEFAULT_CONTENT + "{% endblock %}")
    return subject, content


def digest_source(template) -> tuple:
    """The digest ``(subject, content)`` an editor wrote, else the default."""
    subject, content = default_digest(template)
    return template.digest_subject or subject, template.digest_content or content


def _unmarked(text) -> str:
    """``text`` as a plain ``str``: a message just rendered (a preview's items)
    is marked safe by Django, one read back from the log is not, and the digest
    must print both alike (see :func:`digest_context`)."""
    return "".join(text or "")


def _item_text(text, escaped: bool) -> str:
    """An item's ``text`` as the digest prints it.  Where the backend's text
    is its content as rendered, values already escaped (``ESCAPED_TEXT``:
    Slack's mrkdwn, an activity's HTML), it is printed as it is, not escaped
    a second time; every other text (plain text made from an HTML email, a
    Markdown email's text with its values as they are) is escaped where the
    digest prints it."""
    return mark_safe(_unmarked(text)) if escaped else _unmarked(text)


def digest_context(base, items, window: dict, *, escaped_text: bool = False):
    """The digest's variables: those of ``base`` (a :func:`build_context`
    result for the recipient) but the object's, plus ``items`` (each the
    individual message's variables with its ``subject``, ``text``, ``html``
    and ``created_at``), ``count`` and ``window``, all as template data.
    ``escaped_text`` is the backend's ``ESCAPED_TEXT`` (see
    :func:`_item_text`); subjects are escaped where the digest prints them,
    and ``html`` is printed as it is by the HTML layout only."""
    values = {name: value for name, value in base.items()
              if name not in ("object", "content", "actor", "source", "target")}
    values.update(
        items=sandbox.to_template_value([
            {**context, "subject": _unmarked(message.subject),
             "text": _item_text(message.text, escaped_text),
             "html": _unmarked(message.html), "created_at": created_at}
            for context, message, created_at in items]),
        count=len(items), window=sandbox.to_template_value(window))
    live = {name: value for name, value in getattr(base, "live", base).items()
            if name in values}
    return sandbox.TemplateContext(values, live)
