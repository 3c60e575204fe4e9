"""System checks for the backend configuration and the saved templates."""

from django.core import checks
from django.db import DatabaseError

from django_vox.backends import inspect_backends
from django_vox.issuing.context import unreachable_variables
from django_vox.models import Template

_IDS = {"import": "django_vox.E001", "duplicate": "django_vox.E002", "dependency": "django_vox.E003"}
_HINTS = {
    "import": "Check the spelling of the dotted path in DJANGO_VOX_BACKENDS.",
    "duplicate": "Remove one of them from DJANGO_VOX_BACKENDS or give it another ID.",
    "dependency": "Install the package (see the hint) or remove the backend from DJANGO_VOX_BACKENDS.",
}


@checks.register("django_vox")
def check_backends(app_configs=None, **kwargs):
    classes, problems = inspect_backends()
    messages = [
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


@checks.register("django_vox", checks.Tags.database)
def check_saved_templates(app_configs=None, databases=None, **kwargs):
    """W010: saved templates that use a variable templates can no longer reach
    (a 4.x template calling a method, a field made private...).  They still
    render, with nothing in its place.  A database check, as Django runs them:
    ``manage.py check --database default``, and before ``migrate``."""
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
