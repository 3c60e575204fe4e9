"""Admin forms: the template editor, the one-time message and the issue page."""

from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from django_vox.admin import introspection, words
from django_vox.admin.checks import (
    backend_help,
    build_problem,
    unclosed_tag,
    unknown_digest_variables,
    unknown_variables,
)
from django_vox.admin.issuing import IssueForm
from django_vox.backends import backends as backend_registry
from django_vox.digests import closing as digests
from django_vox.issuing.manual import manual_backends
from django_vox.models import Template
from django_vox.templating.rendering import check_template

__all__ = ["TemplateForm", "NotifyForm", "IssueForm", "backend_info", "template_error",
           "editor_template_problem"]


def backend_info() -> dict:
    """What the editor needs to know about each enabled backend, for the page's script."""
    return {cls.ID: {
        "label": str(cls.VERBOSE_NAME or cls.ID),
        "protocol": cls.PROTOCOL,
        "use_subject": bool(cls.USE_SUBJECT),
        "use_from_address": bool(cls.USE_FROM_ADDRESS),
        "use_attachments": bool(cls.USE_ATTACHMENTS),
        "editor_type": cls.EDITOR_TYPE or "basic",
        "escape_html": bool(cls.ESCAPE_HTML),
        "help": backend_help(cls),
    } for cls in backend_registry.all()}


def editor_template_problem(source: str) -> str | None:
    """Why ``source`` may not be used by an editor (a syntax error, an unknown or
    refused tag or filter, with its line), or None."""
    return check_template(source or "")


def template_error(source):
    """A ValidationError for an editor template that may not be saved, else None."""
    problem = editor_template_problem(source) or unclosed_tag(source)
    if problem:
        return forms.ValidationError(_("This template has an error: %(problem)s"),
                                     code="template", params={"problem": problem})
    return None


def _with_unknown(choices, current):
    """Keep stored keys that no longer exist visible, so an editor can untick them."""
    known = {key for key, _label in choices}
    extra = [(key, _("%(key)s (no longer defined)") % {"key": key})
             for key in current if key not in known]
    return list(choices) + extra


def _recipient_keys(value, default):
    """The recipient keys an initial value stands for, as a list."""
    if value is None:
        return list(default)
    if isinstance(value, str):
        return [key.strip() for key in value.split(",") if key.strip()]
    return list(value)


#: The digest options of a template (see docs/digests.rst), after its other fields.
DIGEST_FIELDS = ["delivery_mode", "digest_window", "digest_time", "digest_weekday",
                 "digest_subject", "digest_content", "allow_digests", "recipient_limit"]


def _lines(text) -> str:
    return (text or "").replace("\r\n", "\n")


class TemplateTextField(forms.CharField):
    """A template's text as the editor typed it.  Browsers send a text area's
    line ends as CRLF, and CharField strips a final newline: an unchanged
    template saved with its notification came back altered.  Here nothing is
    stripped, line ends are compared as lines, and an unchanged text keeps its
    stored bytes (see TemplateForm._clean_template)."""

    def __init__(self, **kwargs):
        kwargs["strip"] = False
        super().__init__(**kwargs)

    def has_changed(self, initial, data):
        return _lines(initial) != _lines(self.to_python(data))


class TemplateForm(forms.ModelForm):
    """One template of a notification.  ``notification`` is set per change page
    (see TemplateInline.get_formset) so recipients and attachments are that
    notification's."""

    notification = None

    backend = forms.ChoiceField(label=_("Delivery method"))
    recipients = forms.MultipleChoiceField(label=_("Recipients"), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    attachments = forms.MultipleChoiceField(label=_("Attachments"), required=False,
                                            widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Template
        fields = ["backend", "recipients", "subject", "content", "attachments",
                  "from_address", "bulk", "enabled", *DIGEST_FIELDS]
        field_classes = {"content": TemplateTextField, "digest_content": TemplateTextField}
        widgets = {
            # Plain fields; the admin editor may enhance them (class names as above).
            "digest_content": forms.Textarea(attrs={"rows": 8, "class": "vox-digest-content"}),
            "digest_subject": forms.TextInput(attrs={"class": "vox-digest-subject vTextField"}),
            "content": forms.Textarea(attrs={"rows": 10, "class": "vox-content"}),
            "subject": forms.TextInput(attrs={"class": "vox-subject vTextField"}),
            "from_address": forms.TextInput(attrs={"class": "vox-from vTextField"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        notification = self.notification
        if notification is None and self.instance.notification_id:
            notification = self.instance.notification
        self._set_backend_choices()
        saved = bool(self.instance.pk)
        current_recipients = self.instance.get_recipient_keys() if saved else []
        self.fields["recipients"].choices = _with_unknown(
            words.recipient_choices(notification), current_recipients)
        self.fields["recipients"].widget.attrs["class"] = "vox-recipients"
        current_attachments = [a.key for a in self.instance.attachments.all()] if saved else []
        self.fields["attachments"].choices = _with_unknown(
            introspection.attachment_choices(notification), current_attachments)
        if saved:
            # model_to_dict() gave the stored string ("c:director,c:screenwriter"),
            # which ticks no box: offer the keys as the list the checkboxes expect,
            # or saving the unchanged form would erase them.
            self.initial["recipients"] = _recipient_keys(self.initial.get("recipients"),
                                                         current_recipients)
            self.initial.setdefault("attachments", current_attachments)
        self._offer_default_digest(saved)

    def _offer_default_digest(self, saved):
        """A blank digest starts from the one made from the individual template.
        The digest options may be left out of a POST (older scripts, the editor
        hiding them): the model's defaults then apply."""
        for name in ("delivery_mode", "digest_window", "digest_time", "digest_weekday"):
            self.fields[name].required = False
        self.fields["delivery_mode"].label = _("When to send")  # beside "Delivery method"
        if not saved or self.instance.digest_content:
            return
        subject, content = digests.default_digest(self.instance)
        if not self.initial.get("digest_subject"):
            self.initial["digest_subject"] = subject
        self.initial["digest_content"] = content

    def _set_backend_choices(self):
        current_backend = self.instance.backend
        choices = backend_registry.as_choices()
        if current_backend and current_backend not in backend_registry:
            choices.append((current_backend, _("%(id)s (not enabled)") % {"id": current_backend}))
        self.fields["backend"].choices = [("", "---------")] + choices
        self.fields["backend"].widget.attrs["class"] = "vox-backend"

    def _clean_template(self, name, flag=None):
        value = self.cleaned_data.get(name, "")
        stored = getattr(self.instance, name, None) if self.instance.pk else None
        if isinstance(stored, str) and _lines(value) == _lines(stored):
            value = stored  # unchanged: the stored bytes, line ends and all
        elif isinstance(self.fields[name], TemplateTextField):
            value = _lines(value)
        backend_class = backend_registry.get(self.cleaned_data.get("backend", ""))
        if flag and backend_class is not None and not getattr(backend_class, flag):
            # The field is hidden for this backend and never rendered by it:
            # an error there would be one the editor cannot see.
            return value
        error = template_error(value)
        if error:
            raise error
        return value

    def clean_subject(self):
        return self._clean_template("subject", "USE_SUBJECT")

    def clean_content(self):
        return self._clean_template("content")

    def clean_from_address(self):
        return self._clean_template("from_address", "USE_FROM_ADDRESS")

    def clean_digest_subject(self):
        return self._clean_template("digest_subject", "USE_SUBJECT")

    def clean_digest_content(self):
        return self._clean_template("digest_content")

    def clean_recipients(self):
        return ",".join(self.cleaned_data.get("recipients") or [])

    def clean(self):
        """Build the message with the backend for a made-up sample, so content
        the backend refuses is reported now, not when the first message fails."""
        cleaned = super().clean()
        backend_class = backend_registry.get(cleaned.get("backend", ""))
        self.warnings = []
        if backend_class is None or self.errors:
            return cleaned
        notification = self._notification()
        if notification is None:
            return cleaned
        keys = [key for key in cleaned.get("recipients", "").split(",") if key]
        problem = build_problem(notification, backend_class, cleaned.get("subject", ""),
                                cleaned.get("content", ""), self._recipient_model(keys))
        if problem:
            self.add_error("content", forms.ValidationError(
                _("%(backend)s cannot build this message: %(problem)s"), code="build",
                params={"backend": backend_class.VERBOSE_NAME or backend_class.ID,
                        "problem": problem}))
            return cleaned
        self.warnings = self._unknown_variables(notification, backend_class, cleaned, keys)
        return cleaned

    def _notification(self):
        if self.notification is not None:
            return self.notification
        return self.instance.notification if self.instance.notification_id else None

    def _recipient_model(self, keys):
        if not keys or self.cleaned_data.get("bulk"):
            return None
        label = introspection.recipient_models(self._notification()).get(keys[0])
        if not label or label == "contact":
            return None
        return apps.get_model(label)

    def _unknown_variables(self, notification, backend_class, cleaned, keys):
        """Warnings (not errors) for variables templates cannot reach."""
        sources = {}
        for name, label, flag in (("subject", _("Subject"), "USE_SUBJECT"),
                                  ("content", _("Content"), None),
                                  ("from_address", _("From address"), "USE_FROM_ADDRESS")):
            if not flag or getattr(backend_class, flag):
                sources[str(label)] = cleaned.get(name, "")
        template = Template(notification=notification, recipients=",".join(keys),
                            bulk=bool(cleaned.get("bulk")))
        found = unknown_variables(notification, sources, template)
        if cleaned.get("delivery_mode", Template.IMMEDIATELY) != Template.IMMEDIATELY:
            digest_sources = {str(_("Digest content")): cleaned.get("digest_content", "")}
            if backend_class.USE_SUBJECT:
                digest_sources[str(_("Digest subject"))] = cleaned.get("digest_subject", "")
            found += unknown_digest_variables(notification, digest_sources, template)
        return found

    def _save_m2m(self):
        super()._save_m2m()
        wanted = list(self.cleaned_data.get("attachments") or [])
        existing = {a.key: a for a in self.instance.attachments.all()}
        for key, attachment in existing.items():
            if key not in wanted:
                attachment.delete()
        for key in wanted:
            if key not in existing:
                self.instance.attachments.create(key=key)


class NotifyForm(forms.Form):
    """The intermediate page of the ``notify`` action: a one-time message.

    ``backends`` are the backend classes offered (those the selected objects
    can be reached with; 4.x passed them as the first argument).  The editor
    script finds the fields by their ``data-vox-field``."""

    field_order = ["backend", "from_address", "subject", "body"]  # as a message reads

    backend = forms.ChoiceField(label=_("Delivery method"))
    subject = forms.CharField(label=_("Subject"), required=False, max_length=500,
                              widget=forms.TextInput(attrs={"class": "vTextField vox-subject",
                                                            "data-vox-field": "subject"}))
    body = forms.CharField(label=_("Message"),
                           widget=forms.Textarea(attrs={"rows": 8, "data-vox-field": "content"}),
                           help_text=_("A template: {{ object }} is the selected object, "
                                       "{{ recipient }} the person it goes to."))
    from_address = forms.CharField(label=_("From address"), required=False, max_length=500,
                                   widget=forms.TextInput(attrs={"class": "vTextField vox-from",
                                                                 "data-vox-field": "from_address"}),
                                   help_text=_("Blank uses the backend's default."))

    def __init__(self, *args, backends=None, **kwargs):
        if args and isinstance(args[0], (list, tuple)):  # 4.x: NotifyForm(backends, ...)
            backends, args = list(args[0]), args[1:]
        super().__init__(*args, **kwargs)
        classes = manual_backends() if backends is None else backends
        self.fields["backend"].choices = words.backend_choices(classes)
        self.fields["backend"].widget.attrs.update({"class": "vox-backend",
                                                    "data-vox-field": "backend"})

    def _clean_template(self, name):
        value = self.cleaned_data.get(name, "")
        error = template_error(value)
        if error:
            raise error
        return value

    def clean_subject(self):
        return self._clean_template("subject")

    def clean_body(self):
        return self._clean_template("body")

    def clean_from_address(self):
        return self._clean_template("from_address")
