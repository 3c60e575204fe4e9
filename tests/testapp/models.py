"""Models of the test app: a small publishing site."""

import uuid

from django.conf import settings
from django.db import models


class Profile(models.Model):
    """One-to-one with the user: a phone number for SMS."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="profile")
    phone = models.CharField(max_length=20, blank=True)


class Subscriber(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField(unique=True)
    phone = models.CharField(max_length=20, blank=True)
    active = models.BooleanField(default=True)

    def __str__(self):
        return self.name

    @property
    def surname(self):
        """The second word of the name; raises for a one-word name (the kind of
        model property that used to stop a whole issue)."""
        words = self.name.split()
        if len(words) < 2:
            raise RuntimeError(f"{self.name!r} has no surname")
        return words[1]


class Article(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="articles")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    editors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="edited_articles",
                                     blank=True)
    readers = models.ManyToManyField(Subscriber, related_name="articles", blank=True)

    def __str__(self):
        return self.title

    def summary_text(self):
        return f"Summary of {self.title}"


class Comment(models.Model):
    article = models.ForeignKey(Article, models.CASCADE, related_name="comments")
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    text = models.TextField()

    def __str__(self):
        return f"{self.name} on {self.article}"


class Ticket(models.Model):
    """A model with a non-integer primary key."""

    code = models.UUIDField(primary_key=True, default=uuid.uuid4)
    title = models.CharField(max_length=100)
    owner = models.ForeignKey(Subscriber, models.CASCADE, related_name="tickets")

    def __str__(self):
        return self.title


class Depot(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)

    def __str__(self):
        return self.name
