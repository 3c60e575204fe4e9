"""What :meth:`django_vox.apps.VoxConfig.ready` connects when Django starts.

The top of the layer order: it may import any part of the package, so that
``apps.py`` (imported before the models are) needs few deferred imports.
"""

import logging

from django.core.signals import setting_changed
from django.db.models.signals import post_migrate

from django_vox import checks, conf
from django_vox.backends import _on_setting_changed
from django_vox.issuing import install_contact_policy
from django_vox.preferences import PreferenceFilter, unsubscribe_links
from django_vox.registry.sync import sync_notifications
from django_vox.tracking import anymail_source
from django_vox.tracking.suppression import suppressing

__all__ = ["install"]


def install(app_config) -> None:
    """Connect the signal receivers, install the contact policy and register
    the system checks (idempotent).  Importing a module registers nothing."""
    setting_changed.connect(_on_setting_changed, dispatch_uid="django_vox_backends")
    post_migrate.connect(_sync_after_migrate, sender=app_config, dispatch_uid="django_vox_sync")
    # Preferences sit above issuing: issuing asks them through this injection point.
    # The suppression list is checked first, on every path that sends.
    install_contact_policy(suppressing(PreferenceFilter), unsubscribe_links)
    anymail_source.connect()  # django-anymail's tracking events, when it is installed
    checks.register()


def _sync_after_migrate(using="default", verbosity=1, **kwargs):
    if not conf.get("DJANGO_VOX_SYNC_ON_MIGRATE"):
        return  # rows come from fixtures and make_notifications, as in 4.x
    report = sync_notifications(using=using)
    if verbosity >= 2:
        for line in report.lines():
            logging.getLogger("django_vox").info(line)
