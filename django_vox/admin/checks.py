"""What saving a template checks, beyond "it compiles".

* :func:`unclosed_tag`: ``{{ object.title }`` is text to Django, so the
  recipient would read the braces; it is an error here.
* :func:`build_problem`: the message is built with the chosen backend for a
  made-up sample, so content the backend refuses (a Postmark or JSON webhook
  template that is not ``key: value`` lines) is reported when saving, not
  when the first real message fails.
* :func:`unknown_variables`: variables the picker does not offer
  (``{{ recipient.nmae }}``) print nothing; the editor is warned, not stopped
  (:func:`unknown_digest_variables`: the same for the digest's template).
* :func:`overlapping_templates`: two enabled templates of one notification
  with the same backend and a shared recipient group send everybody in it
  two messages; the editor is warned.
"""

import logging
import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from django_vox.exceptions import VoxError
from django_vox.issuing import build_context, rendering_without_writes
from django_vox.templating.samples import made_up
from django_vox.templating.visibility import unreachable_digest_variables, unreachable_variables

__all__ = ["made_up", "unclosed_tag", "build_problem", "unknown_variables",
           "unknown_digest_variables", "overlapping_templates",
           "BACKEND_HELP", "backend_help"]

logger = logging.getLogger("django_vox")

_OPENERS = {"{{": "}}", "{%": "%}", "{#": "#}"}
_OPENER = re.compile(r"{{|{%|{#")

#: Help shown under the content box, by backend ID; backends may also set
#: ``CONTENT_HELP``.
BACKEND_HELP = {
    "json-webhook": gettext_lazy(
        "One “key: value” line per field of the JSON object sent, for example:\n"
        "event: article posted\ntitle: {{ object.title }}\nlink: {{ object.url }}"),
    "postmark-template": gettext_lazy(
        "The subject is the alias of the Postmark template. The content is one "
        "“key: value” line per field of its template model, for example:\n"
        "name: {{ recipient.name }}\ntitle: {{ object.title }}"),
    "slack-webhook": gettext_lazy(
        "Slack formatting: *bold*, _italic_, <https://example.org|a link>."),
    "sms": gettext_lazy(
        "Plain text. Long messages are split into several texts (160 characters each)."),
    "twitter": gettext_lazy("Plain text, at most 280 characters."),
    "xmpp": gettext_lazy("Plain text."),
}




def backend_help(backend_class) -> str:
    """The help to show under the content for ``backend_class`` ("" for none)."""
    text = getattr(backend_class, "CONTENT_HELP", None) or BACKEND_HELP.get(backend_class.ID)
    if text is None and backend_class.PROTOCOL == "sms":
        text = BACKEND_HELP["sms"]
    return str(text) if text else ""


def unclosed_tag(source: str) -> str | None:
    """Why ``source`` has a tag opened and never closed (naming the line), or None."""
    source = source or ""
    position = 0
    while True:
        match = _OPENER.search(source, position)
        if match is None:
            return None
        closer = _OPENERS[match.group()]
        end = source.find(closer, match.end())
        following = _OPENER.search(source, match.end())
        if end == -1 or (following is not None and following.start() < end):
            line = source.count("\n", 0, match.start()) + 1
            snippet = source[match.start():match.start() + 30].split("\n")[0]
            return _("Line %(line)d: “%(snippet)s” is not closed with “%(closer)s”.") % {
                "line": line, "snippet": snippet, "closer": closer}
        position = end + len(closer)


def _sample_context(notification, recipient_model=None):
    def sample(model):
        return made_up(model) if model is not None else None

    return build_context(sample(notification.get_object_model()), notification=notification,
                         actor=sample(notification.get_actor_model()),
                         target=sample(notification.get_target_model()),
                         recipient=sample(recipient_model),
                         unsubscribe_url="https://example.org/unsubscribe/sample/",
                         preferences_url="https://example.org/preferences/sample/")


def build_problem(notification, backend_class, subject: str, content: str,
                  recipient_model=None) -> str | None:
    """Why ``backend_class`` cannot build the message for a made-up sample, or None."""
    backend = backend_class()
    try:
        with rendering_without_writes():
            backend.build_message(subject if backend_class.USE_SUBJECT else "", content,
                                  _sample_context(notification, recipient_model))
    except VoxError as err:
        return str(err)
    except Exception as err:  # noqa: BLE001 - model code on a made-up instance
        # (a relation of an unsaved object...): nothing the editor wrote.
        logger.debug("Building %s with a made-up sample: %r", backend_class.ID, err)
    return None


def unknown_variables(notification, sources: dict, template=None) -> list[str]:
    """``["Content, line 2: recipient.nmae", ...]``: variables of ``sources``
    (``{part: template source}``) that templates cannot reach (they print nothing)."""
    return [_("%(part)s, line %(line)s: %(path)s") % {"part": part, "line": line, "path": path}
            for part, line, path in unreachable_variables(notification, sources, template)]


def unknown_digest_variables(notification, sources: dict, template=None) -> list[str]:
    """The same for a digest's ``sources``, against what the digest picker offers."""
    return [_("%(part)s, line %(line)s: %(path)s") % {"part": part, "line": line, "path": path}
            for part, line, path in unreachable_digest_variables(notification, sources, template)]


def overlapping_templates(templates) -> list[tuple]:
    """``[(first, second, shared keys)]`` for enabled templates (objects with
    ``backend``, ``enabled`` and ``get_recipient_keys()``) that share a backend
    and a recipient group."""
    found = []
    enabled = [t for t in templates if t.enabled and t.backend]
    for index, first in enumerate(enabled):
        for second in enabled[index + 1:]:
            if first.backend != second.backend:
                continue
            shared = sorted(set(first.get_recipient_keys()) & set(second.get_recipient_keys()))
            if shared:
                found.append((first, second, shared))
    return found
