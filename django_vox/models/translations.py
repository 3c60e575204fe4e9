"""Templates in other languages: one row per template and language.

A template's own text (``Template.subject``, ``content``, ``digest_subject``,
``digest_content``) is the default, written in ``LANGUAGE_CODE``; a
:class:`TemplateTranslation` gives the same texts in another language.  A
blank field of a translation uses the default's.  ``source_hash`` is the
digest of the default's texts when the translation was saved: when the
default changes afterwards, the translation is out of date.

Why a row per language, and not django-parler or django-modeltranslation:
modeltranslation adds a column per language to ``Template``, so a reusable
app's migrations would depend on each site's ``LANGUAGES``; parler moves the
translated fields out of ``Template`` into its own table, so every existing
template would need a data migration and the untranslated default stops
being the template's own text.  A plain row keeps the default where it was,
is one migration for every site, is fetched for all of an issue's templates
in one query (``prefetch_related("translations")``), and the admin edits it
with the same form and preview as the default.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["TemplateTranslation", "TRANSLATED_FIELDS", "TRANSLATED", "MISSING", "OUT_OF_DATE",
           "source_hash", "translation_status"]

#: What :func:`translation_status` says of a language.
TRANSLATED, MISSING, OUT_OF_DATE = "translated", "missing", "out-of-date"

#: The fields of a template a translation gives in its language.
TRANSLATED_FIELDS = ("subject", "content", "from_address", "digest_subject", "digest_content")
#: The fields whose change makes a translation out of date.
_SOURCE_FIELDS = ("subject", "content", "digest_subject", "digest_content")


def source_hash(template) -> str:
    """A digest of ``template``'s default texts (what translations are made from)."""
    digest = hashlib.sha256()
    for name in _SOURCE_FIELDS:
        digest.update(getattr(template, name, "").encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:32]


class TemplateTranslation(models.Model):
    """One template's texts in one language."""

    template = models.ForeignKey("django_vox.Template", models.CASCADE,
                                 related_name="translations", verbose_name=_("template"))
    language = models.CharField(_("language"), max_length=15,
                                help_text=_("A language code of the site's LANGUAGES."))
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    content = models.TextField(_("content"), blank=True)
    from_address = models.CharField(_("from address"), max_length=500, blank=True,
                                    help_text=_("Blank uses the default text's."))
    digest_subject = models.CharField(_("digest subject"), max_length=500, blank=True)
    digest_content = models.TextField(_("digest content"), blank=True)
    source_hash = models.CharField(_("translated from"), max_length=32, blank=True,
                                   editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("template translation")
        verbose_name_plural = _("template translations")
        constraints = [models.UniqueConstraint(fields=["template", "language"],
                                               name="django_vox_one_translation_per_language")]

    def __str__(self):
        return f"{self.template_id} [{self.language}]"

    def is_out_of_date(self, template=None) -> bool:
        """Whether the default text changed since this translation was saved."""
        return self.source_hash != source_hash(template or self.template)


def translation_status(template, languages) -> dict:
    """``{language: TRANSLATED | MISSING | OUT_OF_DATE}`` of ``template`` for
    each of ``languages`` (codes; the default language is not one of them)."""
    found = template.translations_by_language()
    current = source_hash(template)
    status = {}
    for language in languages:
        row = found.get(language)
        if row is None:
            status[language] = MISSING
        else:
            status[language] = TRANSLATED if row.source_hash == current else OUT_OF_DATE
    return status
