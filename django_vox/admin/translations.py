"""Translating templates in the admin: one page per template and language.

The page has a tab per language the site offers, each saying whether the
template is translated there, missing, or out of date (its default text
changed after the translation was saved); the default language's tab leads
back to the notification.  The form is the template editor's (the same
script: toolbar, variable picker, live preview), the preview rendered in
that language with a recipient who reads it.  Saving checks each text as the
template's own are checked, rendering in that language.

A notification's list and its templates say which translations are missing
or out of date (:func:`summary`, :func:`template_links`); system check W040
lists them too.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from django_vox.admin import editor_preview, introspection, views, words
from django_vox.admin.checks import build_problem, unknown_variables
from django_vox.admin.digest_preview import digest_answer
from django_vox.admin.forms import backend_info, template_error
from django_vox.admin.reach import EditorReach
from django_vox.backends import backends as backend_registry
from django_vox.models import Template, TemplateTranslation
from django_vox.models.translations import (
    MISSING,
    OUT_OF_DATE,
    TRANSLATED,
    source_hash,
    translation_status,
)
from django_vox.registry.locales import LocaleResolver, offered_languages, rendering_in

__all__ = ["TranslationForm", "STATE_WORDS", "urls", "summary", "template_links",
           "translation_view", "translation_preview_view"]

#: How a language's state reads on tabs and lists.
STATE_WORDS = {TRANSLATED: gettext_lazy("translated"), MISSING: gettext_lazy("missing"),
               OUT_OF_DATE: gettext_lazy("out of date")}

#: (field, backend flag that must be set for it to be used).
_FIELDS = (("subject", "USE_SUBJECT"), ("content", None), ("from_address", "USE_FROM_ADDRESS"),
           ("digest_subject", "USE_SUBJECT"), ("digest_content", None))


def other_languages() -> list:
    """``[(code, name)]`` of the languages a template may be translated into."""
    return offered_languages()[1:]


class TranslationForm(forms.ModelForm):
    """A template's texts in one language; blank fields use the default's."""

    class Meta:
        model = TemplateTranslation
        fields = [name for name, _flag in _FIELDS]
        widgets = {
            "subject": forms.TextInput(attrs={"class": "vTextField", "data-vox-field": "subject"}),
            "content": forms.Textarea(attrs={"rows": 10, "data-vox-field": "content"}),
            "from_address": forms.TextInput(attrs={"class": "vTextField",
                                                   "data-vox-field": "from_address"}),
            "digest_subject": forms.TextInput(attrs={"class": "vTextField",
                                                     "data-vox-field": "digest_subject"}),
            "digest_content": forms.Textarea(attrs={"rows": 8,
                                                    "data-vox-field": "digest_content"}),
        }

    def __init__(self, *args, template: Template, language: str, **kwargs):
        self.template, self.language = template, language
        super().__init__(*args, **kwargs)
        self.backend_class = backend_registry.get(template.backend)
        self.warnings: list = []
        if not self.instance.pk:  # a new translation starts from the default text
            for name, _flag in _FIELDS:
                self.initial.setdefault(name, getattr(template, name))
        for name, _flag in _FIELDS:
            default = getattr(template, name)
            if default and not isinstance(self.fields[name].widget, forms.Textarea):
                self.fields[name].widget.attrs["placeholder"] = default  # what blank means
            if name.startswith("digest_") and template.delivery_mode == Template.IMMEDIATELY:
                self.fields[name].help_text = _("Used once the template is sent in digests.")

    def _used(self, flag) -> bool:
        return not flag or self.backend_class is None or bool(getattr(self.backend_class, flag))

    def clean(self):
        cleaned = super().clean()
        for name, flag in _FIELDS:
            error = template_error(cleaned.get(name, "")) if self._used(flag) else None
            if error:
                self.add_error(name, error)
        if self.errors or self.backend_class is None:
            return cleaned
        notification = self.template.notification
        subject = cleaned.get("subject") or self.template.subject
        content = cleaned.get("content") or self.template.content
        with rendering_in(LocaleResolver().locale(self.language, "")):
            problem = build_problem(notification, self.backend_class, subject, content)
        if problem:
            self.add_error("content", forms.ValidationError(
                _("%(backend)s cannot build this message: %(problem)s"), code="build",
                params={"backend": self.backend_class.VERBOSE_NAME or self.backend_class.ID,
                        "problem": problem}))
            return cleaned
        sources = {str(_("Subject")): subject, str(_("Content")): content}
        self.warnings = unknown_variables(notification, sources, self.template)
        return cleaned

    def save(self, commit=True):
        self.instance.template = self.template
        self.instance.language = self.language
        self.instance.source_hash = source_hash(self.template)
        return super().save(commit)


# -- where translations stand -------------------------------------------------------------
def _url(site_name, template, language) -> str:
    return reverse(f"{site_name}:django_vox_template_translation",
                   args=[template.notification_id, template.pk, language])


def template_links(site_name: str, template: Template):
    """The languages of ``template`` as links to their pages, each with its state."""
    names = dict(other_languages())
    status = translation_status(template, list(names))
    return format_html_join(
        " ", '<a class="vox-translation vox-translation-{}" href="{}">{}: {}</a>',
        ((state, _url(site_name, template, code), names[code], STATE_WORDS[state])
         for code, state in status.items()))


def summary(notification) -> str:
    """"German missing (2), French out of date (1)" over a notification's
    enabled templates, or "" when every template is translated."""
    names = dict(other_languages())
    counts: dict = {}
    for template in notification.templates.all():
        if not template.enabled:
            continue
        for code, state in translation_status(template, list(names)).items():
            if state != TRANSLATED:
                counts[(code, state)] = counts.get((code, state), 0) + 1
    return ", ".join(_("%(language)s %(state)s (%(count)d)") % {
        "language": names[code], "state": STATE_WORDS[state], "count": count}
        for (code, state), count in sorted(counts.items()))


# -- the page -----------------------------------------------------------------------------
def urls(model_admin, wrap) -> list:
    """The translation page and its preview (before ``<path:object_id>/…``)."""
    base = "<path:object_id>/templates/<int:template_id>/translations/<str:language>/"
    return [
        path(base + "preview/", wrap(lambda request, **kw: translation_preview_view(
            model_admin, request, **kw)), name="django_vox_template_translation_preview"),
        path(base, wrap(lambda request, **kw: translation_view(model_admin, request, **kw)),
             name="django_vox_template_translation"),
    ]


def _template_and_language(model_admin, request, object_id, template_id, language):
    notification = model_admin.get_object(request, object_id)
    if notification is None or language not in dict(other_languages()):
        raise Http404(_("No such notification or language."))
    if not model_admin.has_change_permission(request, notification):
        raise PermissionDenied
    template = get_object_or_404(Template.objects.prefetch_related("translations"),
                                 pk=template_id, notification=notification)
    return notification, template


def _tabs(site_name, notification, template, language) -> list:
    change_url = reverse(f"{site_name}:django_vox_notification_change", args=[notification.pk])
    default_code, default_name = offered_languages()[0]
    tabs = [{"code": default_code, "name": default_name, "url": change_url,
             "state": "default", "words": _("default text"), "current": False}]
    status = translation_status(template, [code for code, _name in other_languages()])
    for code, name in other_languages():
        tabs.append({"code": code, "name": name, "url": _url(site_name, template, code),
                     "state": status[code], "words": STATE_WORDS[status[code]],
                     "current": code == language})
    return tabs


def _editor_data(site_name, notification, template, language) -> dict:
    return {
        "backends": backend_info(),
        "variables": introspection.variables(notification),
        "digest_variables": introspection.digest_variables(notification),
        "preview_url": reverse(f"{site_name}:django_vox_template_translation_preview",
                               args=[notification.pk, template.pk, language]),
        "search_url": views.search_urls(site_name, notification)["object"],
        "preview_fields": {"recipients": template.get_recipient_keys(),
                           "bulk": "1" if template.bulk else ""},
    }


def translation_view(model_admin, request, object_id, template_id, language):
    """GET the page; POST saves the translation (or deletes it with ``delete``)."""
    notification, template = _template_and_language(model_admin, request, object_id,
                                                    template_id, language)
    site = model_admin.admin_site
    existing = template.translations_by_language().get(language)
    if request.method == "POST" and "delete" in request.POST:
        if existing is not None:
            existing.delete()
            model_admin.message_user(request, _("The translation was deleted: recipients "
                                                "reading it get the default text."))
        return redirect(_url(site.name, template, language))
    form = TranslationForm(request.POST if request.method == "POST" else None,
                           instance=existing, template=template, language=language)
    if request.method == "POST" and form.is_valid():
        form.save()
        model_admin.message_user(request, _("The translation was saved."))
        for warning in form.warnings:
            model_admin.message_user(request, _(
                "It uses a variable the picker does not offer (it prints nothing): "
                "%(where)s") % {"where": warning}, "warning")
        return redirect(_url(site.name, template, language))
    names = dict(other_languages())
    heading = words.template_heading(template)
    context = {
        **site.each_context(request),
        "title": _("%(template)s in %(language)s") % {"template": heading,
                                                       "language": names[language]},
        "opts": model_admin.model._meta, "original": notification,
        "notification_name": words.notification_name(notification),
        "template": template, "template_heading": heading, "language": language,
        "language_name": names[language], "form": form, "translation": existing,
        "out_of_date": existing is not None and existing.is_out_of_date(template),
        "tabs": _tabs(site.name, notification, template, language),
        "change_url": reverse(f"{site.name}:django_vox_notification_change",
                              args=[notification.pk]),
        "vox_editor": _editor_data(site.name, notification, template, language),
        "vox_media": editor_preview.editor_media(),
    }
    return TemplateResponse(request, "django_vox/admin/translation.html", context)


def translation_preview_view(model_admin, request, object_id, template_id, language):
    """The editor's preview of the translation: rendered in ``language``, for
    a recipient who reads it (the digest's too)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    notification, _template = _template_and_language(model_admin, request, object_id,
                                                     template_id, language)
    reach = EditorReach(request, model_admin.admin_site)
    wanted = editor_preview.PreviewRequest.from_post(request.POST)
    wanted.language = language
    if request.POST.get("digest") == "1":
        locale = LocaleResolver().locale(language, "")

        def digest():
            with rendering_in(locale):
                return digest_answer(reach, notification, wanted, request.POST)

        return views._preview_json(digest)
    return views._preview_json(lambda: editor_preview.preview_answer(
        reach, notification, wanted))
