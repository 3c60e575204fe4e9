from django.contrib import admin

from django_vox.admin import notify
from tests.demo.blog.models import Article, Comment, Subscriber
from tests.demo.blog.registrations import ArticleRegistration


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "created_at"]
    fields = ["title", "body"]
    search_fields = ["title", "body"]

    def save_model(self, request, obj, form, change):
        """Posting an article (adding it) notifies the subscribers."""
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)
        if not change:
            # Sent when the admin's transaction commits.
            ArticleRegistration.posted.issue(obj, actor=request.user)


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "created_at"]
    search_fields = ["name", "email"]
    # Select subscribers, then "Send a one-time message".
    actions = [notify]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["subscriber", "article", "created_at"]
    list_filter = ["article"]
