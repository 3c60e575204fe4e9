from bench.app.models import Member, Post, audience_of
from django_vox.registry import (
    Channel,
    Contact,
    Notification,
    Registration,
    objects,
    provides_contacts,
)


class MemberRegistration(Registration):
    @provides_contacts("email")
    def email(self, instance, notification):
        yield Contact(instance.name, "email", instance.email)

    @provides_contacts("json-webhook")
    def webhook(self, instance, notification):
        if instance.webhook:
            yield Contact(instance.name, "json-webhook", instance.webhook)

    @provides_contacts("xmpp")
    def xmpp(self, instance, notification):
        if instance.jid:
            yield Contact(instance.name, "xmpp", instance.jid)


class PostRegistration(Registration):
    #: One HTML email per member (fanout-email).
    published = Notification("A post was published")
    #: One email to every member at once (bulk-email).
    digest = Notification("Digest of a post")
    #: One JSON webhook call per member (webhook).
    hooked = Notification("Webhook for a post")
    #: One XMPP message per member (xmpp).
    pinged = Notification("XMPP message for a post")
    #: One Postmark template email per member, sent in batches (postmark-batch).
    mailed = Notification("Postmark email for a post")
    #: One HTML email per member under a rate limit, from several processes (rate-limit).
    paced = Notification("Rate-limited email for a post")

    def get_channels(self):
        return {"": Channel.self(self),
                "audience": Channel("Audience", Member, audience_of)}


objects.add(Member, MemberRegistration, regex=None)
objects.add(Post, PostRegistration, regex=None)
