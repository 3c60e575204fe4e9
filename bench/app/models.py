"""Members (one address per protocol each) and the posts announced to them."""

from django.db import models


class Member(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField()
    webhook = models.CharField(max_length=200, blank=True)
    jid = models.CharField(max_length=200, blank=True)

    def __str__(self):
        return self.name


class Post(models.Model):
    """``audience``: how many members (by pk, from the ``offset``-th) the post reaches."""

    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=200, blank=True)
    audience = models.PositiveIntegerField(default=0)
    #: Members skipped first: posts of the rate-limit case reach disjoint slices.
    offset = models.PositiveIntegerField(default=0)

    def __str__(self):
        return self.title


def audience_of(post):
    """The members a post reaches: the same query for our pipeline and the floor."""
    return Member.objects.order_by("pk")[post.offset:post.offset + post.audience]
