"""The editor's preview: an unsaved template as one recipient will get it.

The editor chooses the sample object (among the objects they may view; a
made-up one otherwise) and, for templates sent to each recipient on their
own, the recipient among those the first ticked group reaches for that
object.  The answer names both, and gives the message's From, To and
Subject beside its body, so nothing needs guessing.
"""

import html
import itertools
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from django_vox.admin.checks import made_up, unclosed_tag
from django_vox.admin.search import may_view
from django_vox.backends import backends as backend_registry
from django_vox.backends.base import Backend as BaseBackend
from django_vox.exceptions import PreviewError, VoxError
from django_vox.issuing import build_context, rendering_without_writes
from django_vox.issuing.manual import manual_backends
from django_vox.issuing.recipients import (
    SITE,
    contacts_of,
    resolve_channel,
    site_contacts,
)
from django_vox.models import Template
from django_vox.registry import Contact
from django_vox.templating.rendering import check_template
from django_vox.templating.visibility import recipient_models, unreachable_variables

__all__ = ["PreviewError", "PreviewRequest", "Sample", "preview_answer", "one_time_answer",
           "choose_sample", "sample_recipients", "reachable_backends", "editor_media",
           "RECIPIENT_LIMIT", "SAMPLE_LINKS", "Rendering", "answer", "sample_rendering", "backend_class_for"]



def editor_media() -> forms.Media:
    """The editor's script and style, after the admin's select2 (the sample
    chooser) in the language of the request."""
    return AutocompleteSelect(None, None).media + forms.Media(
        css={"all": ["django_vox/admin/editor.css"]},
        js=["django_vox/admin/editor.js"],
    )

#: Selected objects looked at to tell which backends can reach them.
REACHABLE_SCAN = 200

#: Recipients the preview offers to choose from, at most.
RECIPIENT_LIMIT = 50

#: Links shown in previews of notifications recipients may turn off.
SAMPLE_LINKS = {"unsubscribe_url": "https://example.org/unsubscribe/sample-token/",
                "preferences_url": "https://example.org/preferences/sample-token/"}


@dataclass
class Sample:
    """One object a preview is rendered with, and how the editor sees it named."""

    obj: Any
    label: str
    made_up: bool

    def as_choice(self):
        return {"id": "" if self.made_up else str(self.obj.pk), "text": self.label,
                "made_up": self.made_up}


def _made_up(model):
    return Sample(made_up(model), _("a made-up %(model)s (there is none you may view)") % {
        "model": model._meta.verbose_name}, True)


def choose_sample(user, model, object_id="") -> Sample | None:
    """The object ``object_id`` of ``model`` when the user may view it, else the
    newest one they may view, else a made-up one (None without a model)."""
    if model is None:
        return None
    if not may_view(user, model):
        return _made_up(model)
    rows = model._default_manager.all()
    obj = None
    if object_id:
        try:
            obj = rows.filter(pk=model._meta.pk.to_python(object_id)).first()
        except (ValidationError, ValueError, TypeError):
            obj = None
    if obj is None:
        obj = rows.order_by("-pk").first()
    return Sample(obj, str(obj), False) if obj is not None else _made_up(model)


def contact_label(contact) -> str:
    """"Ann Smith <ann@example.org>", or the address alone."""
    name = (contact.name or "").strip()
    return f"{name} <{contact.address}>" if name and name != contact.address else contact.address


def sample_recipients(notification, key, instances, protocol) -> list:
    """The contacts recipient key ``key`` reaches on ``protocol`` (at most
    :data:`RECIPIENT_LIMIT`, each address once)."""
    if not key or not protocol:
        return []
    if key == SITE:
        found = (_site_contact(sc, protocol) for sc in site_contacts(notification, protocol))
    else:
        _channel, reached = resolve_channel(key, instances)
        found = contacts_of(itertools.islice(iter(reached), RECIPIENT_LIMIT), protocol,
                            notification)
    result, seen = [], set()
    for contact in found:
        if contact.address not in seen:
            seen.add(contact.address)
            result.append(contact)
        if len(result) >= RECIPIENT_LIMIT:
            break
    return result


def _site_contact(site_contact, protocol):
    return Contact(site_contact.name, protocol, site_contact.address, site_contact)


@dataclass
class PreviewRequest:
    """What the editor's page sends: the unsaved template and the samples chosen."""

    backend_id: str
    subject: str = ""
    content: str = ""
    from_address: str = ""
    recipients: tuple = ()
    bulk: bool = False
    object_id: str = ""
    recipient_id: str = ""

    @classmethod
    def from_post(cls, post):
        return cls(backend_id=post.get("backend", ""), subject=post.get("subject", ""),
                   content=post.get("content", ""), from_address=post.get("from_address", ""),
                   recipients=tuple(key for key in post.getlist("recipients") if key),
                   bulk=bool(post.get("bulk")), object_id=post.get("object", ""),
                   recipient_id=post.get("recipient", ""))


def _check_sources(backend_class, wanted):
    """Raise PreviewError naming the first field whose template does not compile."""
    fields = [(_("Subject"), wanted.subject, backend_class.USE_SUBJECT),
              (_("Content"), wanted.content, True),
              (_("From address"), wanted.from_address, backend_class.USE_FROM_ADDRESS)]
    for label, source, used in fields:
        problem = (check_template(source or "") or unclosed_tag(source)) if used else None
        if problem:
            raise PreviewError(f"{label}: {problem}")


def _body_html(backend, message) -> str:
    """The message's body as its recipient sees it: the HTML part itself, the
    text for text backends, else the backend's own preview (data, JSON...)."""
    if message.html:
        return message.html
    own = type(backend).format_preview
    if own is BaseBackend.format_preview or getattr(own, "__module__", "").endswith("._email"):
        parts = [f'<pre class="vox-text">{html.escape(message.text or "")}</pre>']
        parts += [f'<p class="vox-attachment">{html.escape(a.filename)} '
                  f'({html.escape(a.mimetype)})</p>' for a in message.attachments]
        return "\n".join(parts)
    return backend.format_preview(message)


def _may_view_contacts(user, contacts) -> bool:
    """Whether ``user`` may view the records behind ``contacts`` (an address
    with no record is shown to whoever may view the object)."""
    models = {type(c.obj) for c in contacts if c.obj is not None}
    return all(may_view(user, model) for model in models)


def _recipient(user, notification, wanted, instances, protocol, sample):
    """(contact or None, choices, note) for the recipient the preview uses."""
    if wanted.bulk:
        return None, [], _("Bulk: one message goes to all recipients at once, so there is "
                           "no single recipient.")
    if not wanted.recipients:
        return None, [], _("Tick who receives it to preview it for one of them.")
    if sample is None or sample.made_up:
        return None, [], ""
    contacts = sample_recipients(notification, wanted.recipients[0], instances, protocol)
    if not contacts:
        return None, [], _("The first group ticked has nobody to write to for this sample; "
                           "choose another sample.")
    if not _may_view_contacts(user, contacts):
        return None, [], _("You may not view the people this group reaches: the recipient "
                           "is made up.")
    chosen = next((c for c in contacts if c.address == wanted.recipient_id), contacts[0])
    return chosen, contacts, ""


def _to_line(wanted, contact, choices):
    if contact is not None:
        return contact_label(contact)
    if wanted.bulk and wanted.recipients:
        return _("everybody the ticked groups reach, in one message")
    return _("(nobody yet)")


@dataclass
class Rendering:
    """What one preview renders: the sample, its recipient and the context."""

    sample: Sample | None
    contact: Any
    choices: list
    note: str
    params: dict
    #: The sample object, actor and target ("obj", "actor", "target").
    instances: dict = field(default_factory=dict)
    #: What the context got besides them (sample links, a made-up recipient).
    extra: dict = field(default_factory=dict)


def backend_class_for(wanted):
    backend_class = backend_registry.get(wanted.backend_id)
    if backend_class is None:
        raise PreviewError(_("Choose an enabled backend first."))
    _check_sources(backend_class, wanted)
    return backend_class


def answer(backend_class, wanted: PreviewRequest, rendering: Rendering) -> dict:
    """Build the message and describe it for the editor's page."""
    backend = backend_class()
    try:
        with rendering_without_writes():
            message = backend.build_message(wanted.subject if backend_class.USE_SUBJECT else "",
                                            wanted.content, rendering.params)
            from_address = backend.get_from_address(wanted.from_address, rendering.params)
    except (VoxError, ValueError) as err:
        raise PreviewError(str(getattr(err, "message", err))) from err
    contact = rendering.contact
    return {
        "html": _body_html(backend, message),
        "backend": backend_class.ID,
        "editor_type": backend_class.EDITOR_TYPE,
        "header": {
            "from": from_address if backend_class.USE_FROM_ADDRESS else None,
            "to": _to_line(wanted, contact, rendering.choices),
            "subject": message.subject if backend_class.USE_SUBJECT else None,
        },
        "sample": {
            "object": rendering.sample.as_choice() if rendering.sample else None,
            "recipient": {"id": contact.address, "text": contact_label(contact)}
            if contact else None,
            "recipients": [{"id": c.address, "text": contact_label(c)} for c in rendering.choices],
            "note": rendering.note,
        },
    }


def sample_rendering(user, notification, wanted: PreviewRequest, backend_class) -> Rendering:
    """The sample object, its actor and target, the recipient and the context a
    preview renders with (for a template's message or its digest)."""
    sample = choose_sample(user, notification.get_object_model(), wanted.object_id)
    actor = choose_sample(user, notification.get_actor_model())
    target = choose_sample(user, notification.get_target_model())
    instances = {"obj": sample.obj if sample else None, "actor": actor.obj if actor else None,
                 "target": target.obj if target else None}
    contact, choices, note = _recipient(user, notification, wanted, instances,
                                        backend_class.PROTOCOL, sample)
    extra = {} if notification.required else dict(SAMPLE_LINKS)
    if contact is None and not wanted.bulk:  # nobody real: a made-up recipient, or none
        extra["recipient"] = _made_up_recipient(notification, wanted.recipients)
        if extra["recipient"] is not None and sample is not None and sample.made_up:
            note = note or _("The recipient is made up too.")
    params = build_context(instances["obj"], notification=notification,
                           actor=instances["actor"], target=instances["target"],
                           contact=contact, **extra)
    return Rendering(sample, contact, choices, note, params, instances, extra)


def preview_answer(user, notification, wanted: PreviewRequest) -> dict:
    """The JSON answer for the template editor; raises PreviewError for the editor."""
    backend_class = backend_class_for(wanted)
    rendering = sample_rendering(user, notification, wanted, backend_class)
    result = answer(backend_class, wanted, rendering)
    result["warnings"] = unreachable_warnings(
        notification, wanted.subject if backend_class.USE_SUBJECT else "", wanted.content,
        template=unsaved_template(notification, wanted.recipients, wanted.bulk))
    return result


def unsaved_template(notification, keys, bulk) -> Template:
    """The template as the form has it (what the picker and the checks describe)."""
    return Template(notification=notification, recipients=",".join(keys), bulk=bool(bulk))


def unreachable_warnings(notification, subject, content, template=None) -> list:
    """Sentences naming the variables of a template that templates cannot reach
    (they render as nothing), for the preview to show."""
    sources = {str(_("Subject")): subject, str(_("Content")): content}
    return [_("%(part)s, line %(line)s: %(path)s is not something templates can reach.") % {
        "part": part, "line": line, "path": path}
        for part, line, path in unreachable_variables(notification, sources, template)]


def _made_up_recipient(notification, keys):
    """A made-up instance of what the first ticked group reaches, or None."""
    label = recipient_models(notification).get(keys[0]) if keys else None
    if not label or label == "contact":
        return None
    return made_up(apps.get_model(label))


def one_time_answer(instances, wanted: PreviewRequest) -> dict:
    """The JSON answer for the one-time message form: ``instances`` are the
    selected objects (the editor may change them, so they may view them)."""
    backend_class = backend_class_for(wanted)
    by_pk = {str(obj.pk): obj for obj in instances}
    if not by_pk:
        raise PreviewError(_("No object is selected."))
    obj = by_pk.get(wanted.object_id) or next(iter(by_pk.values()))
    sample = Sample(obj, str(obj), False)
    contacts = []
    for contact in contacts_of([obj], backend_class.PROTOCOL, None):
        if contact.address not in {c.address for c in contacts}:
            contacts.append(contact)
        if len(contacts) >= RECIPIENT_LIMIT:
            break
    contact = next((c for c in contacts if c.address == wanted.recipient_id),
                   contacts[0] if contacts else None)
    note = "" if contacts else _("%(object)s has no address for this backend: it is skipped.") % {
        "object": obj}
    params = build_context(obj, contact=contact)
    result = answer(backend_class, wanted, Rendering(sample, contact, contacts, note, params))
    result["sample"]["objects"] = [{"id": pk, "text": str(item)}
                                   for pk, item in itertools.islice(by_pk.items(), 100)]
    return result


def reachable_backends(queryset) -> list:
    """The backends allowing one-time messages for which at least one of the
    selected objects (the first :data:`REACHABLE_SCAN`) has a contact."""
    instances = list(queryset[:REACHABLE_SCAN])
    found = []
    for cls in manual_backends():
        for instance in instances:
            if next(iter(contacts_of([instance], cls.PROTOCOL, None)), None) is not None:
                found.append(cls)
                break
    return found
