"""The 4.x package ``django_vox.extra``: part of the compat side
(:mod:`django_vox.compat`), removed in django-vox 6.0."""
