"""System checks for the backend configuration."""

from django.core import checks

from django_vox.backends import inspect_backends

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
