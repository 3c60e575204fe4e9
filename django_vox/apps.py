from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoxConfig(AppConfig):
    name = "django_vox"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Deferred: apps.py is imported before any model can be.
        from django_vox import wiring

        wiring.install(self)
