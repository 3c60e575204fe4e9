from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoxConfig(AppConfig):
    name = "django_vox"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Deferred: apps.py is imported before any model can be.
        from django_vox import wiring
        from django_vox.compat import install as compat

        wiring.install(self)  # signal receivers, the contact policy, the system checks
        # The 4.x shims plug into the core's injection points; the core never
        # imports django_vox.compat (import-linter contract "compat").
        compat.install()
