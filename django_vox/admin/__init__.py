"""The admin: notifications with their templates, site contacts, the delivery
log, what the activity backend stored, recipients' preferences, and the
``notify`` action any ModelAdmin can list.

    from django_vox.admin import notify

    class OrderAdmin(admin.ModelAdmin):
        actions = [notify]

The package: :mod:`~django_vox.admin.introspection` (what a notification
offers the editor), :mod:`~django_vox.admin.forms`,
:mod:`~django_vox.admin.views` (extra pages and the ``notify`` action), and
one module per group of ModelAdmins (``notifications``, ``deliveries``,
``events``, ``inapp``, ``issues``, ``activity``, ``preferences``), registered on
import; :mod:`~django_vox.admin.masking` is what those without
``django_vox.view_delivery_content`` see of messages.

The top of the layer order: may import any part of the package; nothing in
the package imports it.
"""

from django_vox.admin.activity import ActivityAdmin, InboxItemAdmin
from django_vox.admin.deliveries import DeliveryAdmin, FailedMessageAdmin
from django_vox.admin.events import DeliveryEventAdmin
from django_vox.admin.forms import NotifyForm, TemplateForm
from django_vox.admin.inapp import InAppMessageAdmin
from django_vox.admin.issues import BackgroundIssueAdmin
from django_vox.admin.notifications import NotificationAdmin, SiteContactAdmin, TemplateInline
from django_vox.admin.preferences import PreferenceAdmin
from django_vox.admin.views import notify
from django_vox.tracking.admin import SuppressionAdmin

__all__ = ["notify", "NotificationAdmin", "TemplateInline", "SiteContactAdmin",
           "DeliveryAdmin", "FailedMessageAdmin", "ActivityAdmin", "InboxItemAdmin",
           "PreferenceAdmin", "NotifyForm", "TemplateForm", "BackgroundIssueAdmin",
           "SuppressionAdmin", "DeliveryEventAdmin", "InAppMessageAdmin"]
