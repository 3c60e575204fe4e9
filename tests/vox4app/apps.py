from django.apps import AppConfig


class Vox4AppConfig(AppConfig):
    """No migrations module: the test database creates its tables directly."""

    name = "tests.vox4app"
    label = "vox4app"
    default_auto_field = "django.db.models.AutoField"
