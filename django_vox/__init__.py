"""django-vox: notifications registered in code, written in the admin."""

__version__ = "5.0.0"

__all__ = ["notify", "__version__"]


def notify(instance, codename: str, *, actor=None, target=None):
    """Issue the notification ``codename`` registered for ``instance``'s model."""
    from django_vox.registry import objects  # the package root must stay importable early

    return objects[type(instance)].notify(instance, codename, actor=actor, target=target)
