"""The demo blog: articles, the people subscribed to them, and their comments."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse


def site_url(path):
    """An absolute URL on the demo site, for links in notifications."""
    scheme = "https" if settings.SITE_SSL else "http"
    return f"{scheme}://{settings.SITE_DOMAIN}{path}"


class Subscriber(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField(unique=True)
    # Put in the links of the article mails; whoever has it may comment as this subscriber.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # A subscriber with an account signs in and sees the in-app bell.
    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                related_name="subscriber")
    # The language the subscriber reads (blank: the site's), for their notifications.
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Article(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="articles")
    title = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("blog:article", args=[self.pk])

    @property
    def url(self):
        """The absolute URL, for notifications."""
        return site_url(self.get_absolute_url())

    def as_text(self):
        """The article as a plain-text file (a notification attachment)."""
        return f"{self.title}\n\n{self.body}\n"


class Comment(models.Model):
    article = models.ForeignKey(Article, models.CASCADE, related_name="comments")
    subscriber = models.ForeignKey(Subscriber, models.CASCADE, related_name="comments")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.subscriber} on {self.article}"

    @property
    def url(self):
        return site_url(f"{self.article.get_absolute_url()}#comment-{self.pk}")
