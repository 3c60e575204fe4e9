from django.apps import AppConfig


class BenchAppConfig(AppConfig):
    name = "bench.app"
    label = "benchapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from bench.app import registrations  # noqa: F401
