from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from django_vox.registry import (
    Attachment,
    Channel,
    Contact,
    Notification,
    Registration,
    SignalRegistration,
    objects,
    provides_contacts,
)
from django_vox.templating.sandbox import TemplateVariable
from tests.testapp.models import Article, Comment, Depot, Profile, Subscriber, Ticket

User = get_user_model()


class UserRegistration(Registration):
    @provides_contacts("email")
    def email(self, instance, notification):
        if instance.email:
            yield Contact(instance.get_full_name() or instance.username, "email", instance.email)

    @provides_contacts("sms")
    def sms(self, instance, notification):
        phone = getattr(getattr(instance, "profile", None), "phone", "")
        if phone:
            yield phone


class SubscriberRegistration(SignalRegistration):
    # A property that raises for a one-word name (tests of per-contact rendering).
    template_variables = {"surname": TemplateVariable(_("Surname"), "surname")}

    @provides_contacts("email")
    def email(self, instance, notification):
        if instance.active:
            yield instance.email

    @provides_contacts("sms")
    def sms(self, instance, notification):
        if instance.phone:
            yield instance.phone


class ArticleRegistration(Registration):
    published = Notification(_("An article was published"))
    edited = Notification(_("An article was edited"), actor_type="auth.user")
    moved = Notification(_("An article was moved"), actor_type="auth.user",
                         target_type="testapp.depot")
    urgent = Notification(_("Urgent news"), required=True)
    summary = Attachment(attr="summary_text", mime_string="text/plain", label=_("Summary"))
    cover = Attachment(attr="cover_card", mime_attr="cover_mime", label=_("Cover card"))

    def cover_card(self, instance):
        return f"BEGIN:CARD {instance.title} END:CARD"

    def cover_mime(self, instance):
        return "text/x-card"

    def get_channels(self):
        return {
            "": Channel.self(self),
            "author": Channel.field(Article.author),
            "editors": Channel.field(Article.editors),
            "readers": Channel.field(Article.readers),
            "comments": Channel.field(Article.comments),
            "subs": Channel(_("All active subscribers"), Subscriber,
                            lambda article: Subscriber.objects.filter(active=True)),
        }

    @provides_contacts("slack-webhook")
    def slack(self, instance, notification):
        return []


class CommentRegistration(Registration):
    posted = Notification(_("A comment was posted"))

    @provides_contacts("email")
    def email(self, instance, notification):
        if instance.email:
            yield Contact(instance.name, "email", instance.email)

    def get_channels(self):
        return {"": Channel.self(self), "article": Channel.field(Comment.article)}


class SpecialCommentRegistration(CommentRegistration):
    """Inherits notifications; its own email method wins."""

    flagged = Notification(_("A comment was flagged"))

    @provides_contacts("email")
    def email_upper(self, instance, notification):
        yield instance.email.upper()


class TicketRegistration(Registration):
    opened = Notification(_("A ticket was opened"))

    def get_channels(self):
        return {"": Channel.self(self), "owner": Channel.field(Ticket.owner)}


class ProfileRegistration(Registration):
    def get_channels(self):
        return {"user": Channel.field(Profile.user)}


class UserChannelsRegistration(UserRegistration):
    def get_channels(self):
        return {
            "": Channel.self(self),
            "profile": Channel.field(User.profile),
            "articles": Channel.field(User.articles),
            "edited": Channel.field(User.edited_articles),
        }


class DepotRegistration(Registration):
    @provides_contacts("email")
    def email(self, instance, notification):
        if instance.email:
            yield instance.email


objects.add(User, UserChannelsRegistration, regex=r"^users/(?P<username>[\w.@+-]+)/$")
objects.add(Subscriber, SubscriberRegistration, regex=None)
objects.add(Article, ArticleRegistration, regex=r"^articles/(?P<pk>\d+)/$")
objects.add(Comment, CommentRegistration, regex=None)
objects.add(Ticket, TicketRegistration, regex=None)
objects.add(Depot, DepotRegistration, regex=None)
objects.add(Profile, ProfileRegistration, regex=None)
