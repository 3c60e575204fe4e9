"""A project written against the django-vox 4.0.6 docs (see tests/test_vox4_compat.py)."""
