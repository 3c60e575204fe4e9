"""What the blog notifies, and whom.

* a new subscriber: ``Subscriber`` uses :class:`SignalRegistration`, so
  ``created`` is issued by ``post_save``; its template goes to the site
  contacts ("si").
* a new article: ``Article.posted``, issued by the admin when an author adds
  one (the actor is the author); its template goes to the "subscribers"
  channel.
* a new comment: ``Comment.posted``, issued by the comment view (the actor is
  the subscriber who wrote it); its template goes to the article's author.

Subscribers with an account (``Subscriber.user``) and the authors also get
both in-app, under the bell of the site's header.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from django_vox.inapp.contacts import InAppUserContacts, user_contact
from django_vox.registry import (
    Attachment,
    Channel,
    Contact,
    Notification,
    Registration,
    SignalRegistration,
    TemplateVariable,
    objects,
    provides_contacts,
)
from tests.demo.blog.models import Article, Comment, Subscriber

User = get_user_model()


class UserRegistration(InAppUserContacts, Registration):
    """Users (the authors) are reached by email, and in-app when signed in."""

    template_variables = {
        "get_username": TemplateVariable(_("user name"), "get_username"),
    }

    @provides_contacts("email")
    def email(self, user, notification):
        if user.email:
            yield Contact(user.get_full_name() or user.get_username(), "email", user.email)


class SubscriberRegistration(SignalRegistration):
    # The token lets its holder comment as the subscriber: a secret, offered to
    # templates on purpose, for the links in the mails sent to that subscriber.
    template_variables = {
        "token": TemplateVariable(_("comment token (for links)"), "token"),
    }

    def get_locale(self, subscriber):
        """The subscriber's language (Marie reads French); the site's time zone."""
        return (subscriber.language or None, None)

    @provides_contacts("email")
    def email(self, subscriber, notification):
        yield Contact(subscriber.name, "email", subscriber.email)

    @provides_contacts("inapp")
    def inapp(self, subscriber, notification):
        """Subscribers with an account: the bell of their user."""
        return user_contact(subscriber.user)


class ArticleRegistration(Registration):
    posted = Notification(_("An article was posted"), actor_type="auth.user")
    template_variables = {"url": TemplateVariable(_("link to the article"), "url")}
    text = Attachment(attr="as_text", mime_string="text/plain", label=_("The article as text"))

    def get_channels(self):
        return {
            "author": Channel.field(Article.author),
            "subscribers": Channel(_("All subscribers"), Subscriber,
                                   lambda article: Subscriber.objects.all()),
            "commenters": Channel(_("People who commented on the %(model)s"), Subscriber,
                                  lambda article: Subscriber.objects.filter(
                                      comments__article=article).distinct()),
        }


class CommentRegistration(Registration):
    posted = Notification(_("A comment was posted"), actor_type="blog.subscriber")
    template_variables = {"url": TemplateVariable(_("link to the comment"), "url")}

    def get_channels(self):
        return {
            "author": Channel(_("The article's author"), User,
                              lambda comment: (comment.article.author,)),
        }


objects.add(User, UserRegistration, regex=None)
objects.add(Subscriber, SubscriberRegistration, regex=None)
objects.add(Article, ArticleRegistration, regex=r"^articles/(?P<pk>\d+)/$")
objects.add(Comment, CommentRegistration, regex=None)
