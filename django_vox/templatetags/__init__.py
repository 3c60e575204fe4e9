"""Template tags: ``{% load vox_inapp %}`` for the in-app bell (see docs/in-app.rst)."""
