"""System checks: the backend configuration, every setting that can be wrong,
the rate limits, digests, and the saved templates (their backend, their
variables, their translations)."""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

from django_vox import conf
from django_vox.backends import inspect_backends
from django_vox.digests import holding
from django_vox.models import Template
from django_vox.models.translations import MISSING, OUT_OF_DATE, translation_status
from django_vox.pacing import ratelimit
from django_vox.registry import locales
from django_vox.templating.visibility import unreachable_variables

_IDS = {"import": "django_vox.E001", "duplicate": "django_vox.E002", "dependency": "django_vox.E003",
        "type": "django_vox.E004", "partial": "django_vox.W003"}
#: The check id of each setting validated by django_vox.conf.VALIDATORS.
SETTING_IDS = {
    "SITE_DOMAIN": "django_vox.E010",
    "DJANGO_VOX_ISSUE_METHOD": "django_vox.E011",
    "DJANGO_VOX_HTTP_TIMEOUT": "django_vox.E012",
    "DJANGO_VOX_MARKDOWN_EXTRAS": "django_vox.E013",
    "DJANGO_VOX_ACTIVITY_REGEX": "django_vox.E014",
    "DJANGO_VOX_XMPP_SERVER": "django_vox.E015",
    "DJANGO_VOX_MAX_ATTEMPTS": "django_vox.E016",
    "DJANGO_VOX_BATCH_SIZE": "django_vox.E017",
    "DJANGO_VOX_RECIPIENT_LOCALE": "django_vox.E018",
    # Hearing back from providers (django_vox.tracking)
    "DJANGO_VOX_WEBHOOK_BASE_URL": "django_vox.E040",
    "DJANGO_VOX_POSTMARK_WEBHOOK_CREDENTIALS": "django_vox.E041",
    "DJANGO_VOX_WEBHOOK_MAX_BODY": "django_vox.E042",
    "DJANGO_VOX_TRACKING_PAYLOAD_LIMIT": "django_vox.E043",
    "DJANGO_VOX_SOFT_BOUNCE_LIMIT": "django_vox.E044",
    "DJANGO_VOX_SOFT_BOUNCE_WINDOW": "django_vox.E045",
    "DJANGO_VOX_INAPP_LIVE": "django_vox.E046",
    "DJANGO_VOX_INAPP_POLL_INTERVAL": "django_vox.E047",
    "DJANGO_VOX_INAPP_RETENTION": "django_vox.E048",
    "DJANGO_VOX_CHUNK_SIZE": "django_vox.E023",
    "DJANGO_VOX_CONCURRENCY": "django_vox.E022",
}
_HINTS = {
    "type": "Name the backend by its dotted path, e.g. 'django_vox.backends.html_email.Backend'.",
    "import": "Check the spelling of the dotted path in DJANGO_VOX_BACKENDS.",
    "duplicate": "Remove one of them from DJANGO_VOX_BACKENDS or give it another ID.",
    "dependency": "Install the package (see the hint) or remove the backend from DJANGO_VOX_BACKENDS.",
    "partial": ("The backend is left out until then. Install the package, or list the backends "
                "you use in DJANGO_VOX_BACKENDS."),
}


def check_backends(app_configs=None, **kwargs):
    classes, problems = inspect_backends()
    messages = [
        checks.Warning(p.message, hint=_HINTS[p.kind], obj=p.path, id=_IDS[p.kind])
        if p.kind == "partial" else
        checks.Error(p.message, hint=_HINTS[p.kind], obj=p.path, id=_IDS[p.kind])
        for p in problems
    ]
    for cls in classes:
        missing = cls.missing_settings()
        if missing:
            messages.append(checks.Warning(
                f"Backend {cls.ID!r} ({cls.dotted_path()}) is enabled but these settings "
                f"are not set: {', '.join(missing)}. Sending through it will fail.",
                hint="Set them, or remove the backend from DJANGO_VOX_BACKENDS.",
                obj=cls.dotted_path(),
                id="django_vox.W001",
            ))
    return messages


def check_settings(app_configs=None, **kwargs):
    """One error per setting whose value cannot work (see django_vox.conf.VALIDATORS)."""
    messages = []
    for name, validator in conf.VALIDATORS.items():
        try:
            validator(conf.get(name))
        except ImproperlyConfigured as err:
            messages.append(checks.Error(str(err), obj=name,
                                         id=SETTING_IDS.get(name, "django_vox.E019")))
    return messages


def check_templates(app_configs=None, **kwargs):
    """A warning for each enabled template whose backend is not enabled: it sends nothing.

    It reads the database, so it has a tag of its own ("django_vox_templates"):
    ``manage.py check`` runs it, ``check --tag django_vox`` (settings only) does not.
    """
    classes, _problems = inspect_backends()
    enabled = {cls.ID for cls in classes}
    try:
        orphans = list(Template.objects.filter(enabled=True).exclude(backend__in=enabled)
                       .select_related("notification__object_type"))
    except DatabaseError:  # not migrated yet (checks also run before migrate)
        return []
    return [checks.Warning(
        f"Template {template.pk} of {template.notification} uses backend {template.backend!r}, "
        f"which is not enabled: it sends nothing.",
        hint="Add the backend to DJANGO_VOX_BACKENDS, or disable or delete the template.",
        obj=template, id="django_vox.W002") for template in orphans]


_UNSHARED_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache":
        "is per process: each worker process keeps its own count, so the limits are not "
        "shared between processes",
    "django.core.cache.backends.dummy.DummyCache":
        "keeps nothing: the limits are not enforced at all",
}


def check_rate_limits(app_configs=None, **kwargs):
    """DJANGO_VOX_RATE_LIMITS: readable rates (E020), known backends (W020),
    a cache shared by every sender (E021, W021)."""
    try:
        limits = ratelimit.rate_limits()
    except ImproperlyConfigured as err:
        return [checks.Error(str(err), obj="DJANGO_VOX_RATE_LIMITS", id="django_vox.E020")]
    if not limits:
        return []
    classes, _problems = inspect_backends()
    enabled = {cls.ID for cls in classes}
    messages = [checks.Warning(
        f"DJANGO_VOX_RATE_LIMITS limits backend {backend_id!r}, which is not enabled.",
        hint=f"Enabled backend IDs: {', '.join(sorted(enabled)) or 'none'}.",
        obj="DJANGO_VOX_RATE_LIMITS", id="django_vox.W020")
        for backend_id in limits if backend_id not in enabled]
    try:
        cache = ratelimit.limit_cache()
    except ImproperlyConfigured as err:
        return [*messages, checks.Error(str(err), obj="DJANGO_VOX_RATE_LIMIT_CACHE",
                                        id="django_vox.E021")]
    path = f"{type(cache).__module__}.{type(cache).__qualname__}"
    if path in _UNSHARED_CACHES:
        messages.append(checks.Warning(
            f"The rate limits are held in the cache {cache_alias()!r} ({path}), which "
            f"{_UNSHARED_CACHES[path]}.",
            hint="Point DJANGO_VOX_RATE_LIMIT_CACHE at a Redis, memcached or database cache.",
            obj="DJANGO_VOX_RATE_LIMIT_CACHE", id="django_vox.W021"))
    return messages


def cache_alias():
    return conf.get("DJANGO_VOX_RATE_LIMIT_CACHE")


def check_digests(app_configs=None, **kwargs):
    """DJANGO_VOX_RECIPIENT_LIMIT: a readable rate (E030);
    DJANGO_VOX_DIGEST_INTERVAL and DJANGO_VOX_DIGEST_MAX_AGE: whole numbers
    of seconds (E031)."""
    messages = []
    try:
        holding.parse_limit(conf.get(holding.SETTING))
    except ImproperlyConfigured as err:
        messages.append(checks.Error(str(err), obj=holding.SETTING, id="django_vox.E030",
                                     hint='For example "5/h": at most 5 messages an hour to '
                                          "one recipient; the rest go into a digest."))
    for name in ("DJANGO_VOX_DIGEST_INTERVAL", "DJANGO_VOX_DIGEST_MAX_AGE"):
        try:
            conf.positive_int(name)
        except ImproperlyConfigured as err:
            messages.append(checks.Error(str(err), obj=name, id="django_vox.E031"))
    return messages


def check_saved_templates(app_configs=None, databases=None, **kwargs):
    """W010: saved templates that use a variable templates can no longer reach
    (a 4.x template calling a method, a field made private...).  They still
    render, with nothing in its place.  A database check, as Django runs them:
    ``manage.py check --database default``, and before ``migrate``.  Its tag is
    "django_vox_templates", not "django_vox": from Django 6.1 on, asking for a
    tag also runs that tag's database checks, and ``check --tag django_vox``
    stays about the settings."""
    templates = []
    for alias in databases or ():
        try:
            templates += Template.objects.using(alias).select_related("notification")
        except DatabaseError:  # not migrated yet
            continue
    messages = []
    for template in templates:
        sources = {"subject": template.subject, "content": template.content,
                   "from address": template.from_address}
        for part, line, path in unreachable_variables(template.notification, sources, template):
            messages.append(checks.Warning(
                f"Template {template.pk} ({template.notification}, {template.backend}) uses "
                f"{{{{ {path} }}}} in its {part} (line {line}), which templates cannot reach: "
                f"it renders as nothing.",
                hint="Declare it on the registration (template_variables, see "
                     "docs/registrations.rst) or change the template.",
                obj=template, id="django_vox.W010"))
    return messages


def check_translations(app_configs=None, databases=None, **kwargs):
    """W040: enabled templates with no text, or an out-of-date one, in a
    language the site offers (its recipients get the default text).
    ``DJANGO_VOX_WARN_MISSING_TRANSLATIONS = False`` turns it off for sites
    that accept the fallback.  A database check, like W010."""
    if not conf.get("DJANGO_VOX_WARN_MISSING_TRANSLATIONS"):
        return []
    languages = [code for code, _name in locales.offered_languages()[1:]]
    if not languages:
        return []
    messages = []
    for alias in databases or ():
        try:
            templates = list(Template.objects.using(alias).filter(enabled=True)
                             .select_related("notification__object_type")
                             .prefetch_related("translations").order_by("pk"))
        except DatabaseError:  # not migrated yet
            continue
        for template in templates:
            status = translation_status(template, languages)
            missing = [code for code, state in status.items() if state == MISSING]
            stale = [code for code, state in status.items() if state == OUT_OF_DATE]
            if not (missing or stale):
                continue
            parts = ([f"no translation for {', '.join(missing)}"] if missing else []) + (
                [f"an out-of-date translation for {', '.join(stale)}"] if stale else [])
            messages.append(checks.Warning(
                f"Template {template.pk} ({template.notification}, {template.backend}) has "
                f"{' and '.join(parts)}: those recipients get the default text.",
                hint="Translate it in the admin (the template's Translations link), or set "
                     "DJANGO_VOX_WARN_MISSING_TRANSLATIONS = False to accept the default text.",
                obj=template, id="django_vox.W040"))
    return messages


#: Each check with its tags; :func:`register` (from VoxConfig.ready()) hands them to Django.
CHECKS = [
    (check_backends, ("django_vox",)),
    (check_settings, ("django_vox",)),
    (check_templates, ("django_vox_templates",)),
    (check_rate_limits, ("django_vox",)),
    (check_digests, ("django_vox",)),
    (check_saved_templates, ("django_vox_templates", checks.Tags.database)),
    (check_translations, ("django_vox_templates", checks.Tags.database)),
]


def register() -> None:
    """Register the checks with Django (idempotent: Django keeps a set)."""
    for check, tags in CHECKS:
        checks.register(check, *tags)
