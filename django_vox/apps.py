import logging

from django.apps import AppConfig
from django.core.signals import setting_changed
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class VoxConfig(AppConfig):
    name = "django_vox"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django_vox import checks  # noqa: F401  (registers the checks)
        from django_vox.backends import _on_setting_changed

        setting_changed.connect(_on_setting_changed, dispatch_uid="django_vox_backends")
        post_migrate.connect(_sync_after_migrate, sender=self, dispatch_uid="django_vox_sync")


def _sync_after_migrate(using="default", verbosity=1, **kwargs):
    from django_vox.sync import sync_notifications

    report = sync_notifications(using=using)
    if verbosity >= 2:
        for line in report.lines():
            logging.getLogger("django_vox").info(line)
