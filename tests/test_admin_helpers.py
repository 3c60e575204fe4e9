"""Helpers shared by the admin tests."""

from django.contrib.auth.models import Permission


def make_user(django_user_model, username, *perms, staff=True):
    """A user with the given ``app_label.codename`` permissions."""
    user = django_user_model.objects.create_user(username, f"{username}@example.org", "pw",
                                                 is_staff=staff)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label,
                                                         codename=codename))
    return user


def inline_post(templates, initial=0, **extra):
    """POST data for the notification change form with its template inline."""
    data = {
        "templates-TOTAL_FORMS": str(len(templates)),
        "templates-INITIAL_FORMS": str(initial),
        "templates-MIN_NUM_FORMS": "0",
        "templates-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, fields in enumerate(templates):
        for name, value in fields.items():
            key = f"templates-{index}-{name}"
            if value is True:
                data[key] = "on"
            elif value is False or value is None:
                continue
            else:
                data[key] = value
    data.update(extra)
    return data
