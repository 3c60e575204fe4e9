"""Template tags for in-app messages: ``{% load vox_inapp %}``.

``{% vox_unread_count %}`` (or ``{% vox_unread_count as n %}``) is the
signed-in user's unread count (0 for anonymous visitors).  ``{% vox_bell %}``
is the bell widget: a button with the count, a panel listing the newest
messages, marking them seen when opened and read when clicked, "mark all
read", and a link to the page with all of them.  It renders nothing for
anonymous visitors.  See docs/in-app.rst.
"""

from django import template
from django.urls import reverse

from django_vox import conf
from django_vox.inapp.models import InAppMessage

register = template.Library()


def _user(context):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return user if user is not None and user.is_authenticated else None


@register.simple_tag(takes_context=True)
def vox_unread_count(context) -> int:
    user = _user(context)
    if user is None:
        return 0
    return InAppMessage.objects.for_user(user).unread_state()[0]


@register.inclusion_tag("django_vox/inapp/bell.html", takes_context=True)
def vox_bell(context, limit=10):
    """The bell; ``limit``: how many messages its panel lists."""
    user = _user(context)
    if user is None:
        return {"user": None}
    unread, newest = InAppMessage.objects.for_user(user).unread_state()
    return {
        "user": user,
        "unread": unread,
        "newest": newest,
        "limit": int(limit),
        "csrf_token": context.get("csrf_token"),
        "live": conf.get("DJANGO_VOX_INAPP_LIVE"),
        "interval": conf.positive_int("DJANGO_VOX_INAPP_POLL_INTERVAL"),
        "urls": {
            "messages": reverse("django_vox:inapp-messages"),
            "count": reverse("django_vox:inapp-count"),
            "stream": reverse("django_vox:inapp-stream"),
            # The id 0 is replaced by the message's in the script.
            "change": reverse("django_vox:inapp-change", args=[0, "read"]),
            "read_all": reverse("django_vox:inapp-all", args=["read"]),
            "seen_all": reverse("django_vox:inapp-all", args=["seen"]),
            "page": reverse("django_vox:inapp-page"),
        },
    }
