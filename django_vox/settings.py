"""The 4.x module ``django_vox.settings`` (``django_vox.settings.TWILIO_FROM_NUMBER``...).

Part of the compat side: the names are answered by
:mod:`django_vox.compat.settings`; each read warns, naming the
``django_vox.conf.get()`` call that replaces it, and is removed in django-vox 6.0.
"""

from django_vox.compat.settings import __dir__, __getattr__  # noqa: F401
