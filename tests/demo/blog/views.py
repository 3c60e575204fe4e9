"""The public pages: the index with the subscribe form, and articles with comments."""

import uuid

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from tests.demo.blog.forms import CommentForm, SubscribeForm
from tests.demo.blog.models import Article, Subscriber
from tests.demo.blog.registrations import CommentRegistration


def index(request):
    form = SubscribeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        subscriber = form.save()  # post_save issues Subscriber "created"
        messages.success(request, f"Thanks, {subscriber.name}: new articles will be mailed to "
                                  f"{subscriber.email}.")
        return redirect("blog:index")
    return render(request, "blog/index.html", {
        "articles": Article.objects.select_related("author"),
        "form": form,
    })


def article(request, pk):
    """Show an article; with the ``subscriber`` token from a mail, take a comment."""
    article = get_object_or_404(Article.objects.select_related("author"), pk=pk)
    subscriber = None
    token = request.GET.get("subscriber") or request.POST.get("subscriber")
    if token:
        subscriber = Subscriber.objects.filter(token=_uuid_or_none(token)).first()
    form = CommentForm(request.POST or None) if subscriber else None
    if request.method == "POST" and form is not None and form.is_valid():
        comment = form.save(commit=False)
        comment.article = article
        comment.subscriber = subscriber
        comment.save()
        CommentRegistration.posted.issue(comment, actor=subscriber)
        messages.success(request, "Thanks for your comment; the author has been told.")
        return redirect(f"{article.get_absolute_url()}?subscriber={subscriber.token}")
    return render(request, "blog/article.html", {
        "article": article,
        "comments": article.comments.select_related("subscriber"),
        "form": form,
        "subscriber": subscriber,
    })


def _uuid_or_none(value):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
