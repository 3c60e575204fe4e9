from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "tests.demo.blog"
    label = "blog"
    verbose_name = "Blog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tests.demo.blog import registrations  # noqa: F401  (registers the models)
