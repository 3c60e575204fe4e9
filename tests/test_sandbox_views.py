"""The read-only views templates get instead of model instances, and the attacks they stop."""

import datetime
import os

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.template import Context as DjangoContext
from django.template import Template as DjangoTemplate
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext_lazy as _

from django_vox.backends import locmem
from django_vox.models import Delivery, FailedMessage, InboxItem, Notification
from django_vox.registry import Notification as DeclaredNotification
from django_vox.registry import Registration, RegistryEntry, TemplateVariable, objects
from django_vox.templating import rendering, sandbox, variables
from django_vox.templating.sandbox import DataView, ListView, ObjectView, is_sensitive_name
from tests.testapp.models import Article, Comment, Subscriber

pytestmark = pytest.mark.django_db


def registration_for(model):
    return objects[model].registration


@pytest.fixture
def article():
    user = get_user_model().objects.create(username="ann", email="ann@example.org",
                                           first_name="Ann")
    user.set_password("hunter2")
    user.save()
    article = Article.objects.create(author=user, title="Kept", body="Body")
    article.editors.add(user)
    article.readers.add(Subscriber.objects.create(name="R", email="r@example.org"))
    Comment.objects.create(article=article, name="C", text="first")
    return article


def render(source, **values):
    context = {name: sandbox.view_of(value, registration_for) if hasattr(value, "_meta") else value
               for name, value in values.items()}
    return rendering.render(source, context)


def test_fields_and_forward_relations_read_as_before(article):
    out = render("{{ object }}|{{ object.title }}|{{ object.pk }}|{{ object.author.username }}|"
                 "{% for e in object.editors.all %}{{ e.first_name }}{% endfor %}|"
                 "{{ object.readers.count }}|{{ object.readers.0.name }}|"
                 "{% if object.author == actor %}same{% endif %}",
                 object=article, actor=article.author)
    assert out == f"Kept|Kept|{article.pk}|ann|Ann|1|R|same"


@pytest.mark.parametrize("walk", [
    "object.editors.all.query.get_meta.app_config.apps.app_configs.auth.module.settings.SECRET_KEY",
    "object.comments.all.query.model.objects.model.DoesNotExist",
    "object.author.articles.all.query.get_meta.app_config.module.settings.SECRET_KEY",
    "object.editors.all.0.check_password",
    "object.title.__class__",
])
def test_attribute_walks_end_at_data(article, walk):
    source = "{{ " + walk + " }}"
    if "__" in walk:
        assert "underscores" in rendering.check_template(source)
        return
    assert render(source, object=article) == ""


def test_secret_key_and_environment_are_out_of_reach(article):
    out = render("{{ object.author.groups.all.query }}{{ object.editors.all.model }}"
                 "{{ settings.SECRET_KEY }}{{ object.author.profile }}{{ os.environ }}",
                 object=article)
    assert settings.SECRET_KEY not in out
    assert os.environ.get("PATH", "/usr") not in out


def test_zero_argument_functions_are_never_called(article, monkeypatch):
    called = []
    monkeypatch.setattr(os, "abort", lambda: called.append("abort"))
    monkeypatch.setattr(os, "fork", lambda: called.append("fork"))
    monkeypatch.setattr(os, "getpid", lambda: called.append("getpid") or 42)
    path = "object.editors.all.query.get_meta.app_config.apps.app_configs.django_vox.module.registry.os"
    out = render("".join("{{ " + path + "." + name + " }}" for name in ("abort", "fork", "getpid")),
                 object=article)
    assert out == "" and called == []


def test_password_hashes_and_session_hashes_are_unreachable(article):
    user = article.author
    notification = Notification.objects.get_for_model(Article, "edited")
    out = render("{{ actor.password }}|{{ actor.get_session_auth_hash }}|"
                 "{{ notification.actor_type.get_all_objects_for_this_type.values }}|"
                 "{% for u in notification.actor_type.get_all_objects_for_this_type %}"
                 "{{ u.password }}{% endfor %}|{{ object.author.password }}",
                 actor=user, object=article, notification=notification)
    assert out == "||||"
    assert user.password not in out and user.get_session_auth_hash() not in out
    assert variables.describe(sandbox.view_of(user, registration_for))
    assert "password" not in str(variables.describe(sandbox.view_of(user, registration_for)))


def test_rendering_cannot_send_or_write(article, monkeypatch):
    resent = []
    monkeypatch.setattr(Delivery, "resend", lambda self: resent.append(self))
    notification = Notification.objects.get_for_model(Article, "published")
    Delivery.objects.create(notification=notification, backend="locmem", protocol="email",
                            to_addresses=["a@example.org"], status=Delivery.FAILED, message={})
    out = render("{% for d in notification.deliveries.all %}{{ d.resend }}{% endfor %}"
                 "{{ object.delete }}{{ object.save }}{{ object.editors.clear }}"
                 "{{ object.author.set_unusable_password }}",
                 notification=notification, object=article)
    assert out == "" and resent == []
    article.refresh_from_db()
    assert article.editors.count() == 1 and article.author.has_usable_password()


@pytest.mark.parametrize("name,secret", [
    ("password", True), ("password_hash", True), ("api_key", True), ("session_key", True),
    ("auth_token", True), ("apitoken", True), ("client_secret", True), ("totp", True),
    ("title", False), ("keyword", False), ("monkey", False), ("name", False), ("email", False),
])
def test_secret_looking_names(name, secret):
    assert is_sensitive_name(name) is secret


class TightRegistration(Registration):
    template_fields = ["title", "author", "readers", "body"]
    private_fields = ["body"]
    template_relations = ["comments"]
    template_list_limit = 2
    template_variables = {
        "url": TemplateVariable(_("link"), "get_url"),
        "shout": TemplateVariable(_("title, shouted"), lambda article: article.title.upper()),
        "leader": TemplateVariable(_("first editor"), lambda article: article.editors.first(),
                                   type="object"),
        "bold": TemplateVariable(_("bold title"), lambda article: mark_safe("<b>x</b>")),
        "func": TemplateVariable(_("a function"), lambda article: os.getpid),
    }


class TighterRegistration(TightRegistration):
    private_fields = ["readers"]
    template_variables = {"shout": TemplateVariable(_("whisper"), lambda a: a.title.lower())}


def test_registration_declarations_decide_what_is_offered(article, monkeypatch):
    monkeypatch.setattr(Article, "get_url", lambda self: f"/a/{self.pk}/", raising=False)
    for index in range(3):
        Comment.objects.create(article=article, name=f"N{index}", text="t")
    view = sandbox.view_of(article, lambda model: TightRegistration(model)
                           if model is Article else registration_for(model))
    out = rendering.render(
        "{{ o.title }}|{{ o.body }}|{{ o.id }}|{{ o.url }}|{{ o.shout }}|{{ o.leader.username }}|"
        "{{ o.bold }}|{{ o.func }}|{% for c in o.comments %}{{ c.name }},{% endfor %}|"
        "{{ o.comments.count }}|{{ o.readers.0.email }}", {"o": view})
    assert out == f"Kept|||/a/{article.pk}/|KEPT|ann|<b>x</b>|None|C,N0,|4|r@example.org"
    assert [e["path"] for e in variables.describe(view) if "." not in e["path"]] == [
        "pk", "author", "title", "readers", "comments", "url", "shout", "leader", "bold", "func"]


def test_declarations_merge_with_the_parent_class(article):
    view = sandbox.view_of(article, lambda model: TighterRegistration(model)
                           if model is Article else registration_for(model))
    assert rendering.render("{{ o.shout }}|{{ o.readers }}|{{ o.title }}", {"o": view}) == \
        "kept||Kept"
    assert "url" in view and "readers" not in view


def test_unknown_field_in_template_fields_names_it():
    class Typo(Registration):
        template_fields = ["title", "tilte"]

    with pytest.raises(LookupError, match=r"Typo.template_fields names \['tilte'\]"):
        sandbox.rules_for(Article, Typo(Article))


def test_unknown_relation_in_template_relations_names_it():
    class Bad(Registration):
        template_relations = ["nope"]

    with pytest.raises(LookupError, match="testapp.Article has no reverse relation 'nope'"):
        sandbox.rules_for(Article, Bad(Article))


def test_plain_values_and_data(article):
    when = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    data = {"a": [1, 2], "b": {"c": "d"}, "_hidden": 1, "f": len}
    values = {name: sandbox.to_template_value(value) for name, value in
              {"when": when, "data": data, "text": _("Yes"), "safe": mark_safe("<i>")}.items()}
    assert values["when"].tzinfo is datetime.timezone.utc and values["when"] == when
    assert isinstance(values["data"], DataView) and isinstance(values["data"]["a"], ListView)
    assert isinstance(values["safe"], SafeData) and type(values["text"]) is str
    assert "_hidden" not in values["data"]
    out = rendering.render("{{ data.a.1 }}{{ data.b.c }}{{ data.f }}"
                           "{{ data.clear }}{{ data.b.items }}", values)
    assert out == "2d"
    assert out == rendering.render("{{ data.a.1 }}{{ data.b.c }}", values)  # nothing was cleared
    assert sandbox.to_template_value(os.getpid) is None
    assert sandbox.to_template_value(Article) is None


def test_views_have_no_public_attributes(article):
    view = sandbox.view_of(article, registration_for)
    assert isinstance(view, ObjectView)
    public = {name for name in dir(view) if not name.startswith("_")}
    assert public == set()
    listing = view["editors"]
    assert {name for name in dir(listing) if not name.startswith("_")} == set()
    assert not callable(view) and not callable(listing)


def test_list_filters_work_on_lists(article):
    for index in range(3):
        article.readers.add(Subscriber.objects.create(name=f"S{index}", email=f"s{index}@e.org"))
    out = render("{{ o.readers|slice:':2'|join:', ' }}|{{ o.readers|first }}|"
                 "{{ o.readers|last }}|{{ o.readers|length }}|"
                 "{% for r in o.readers|slice:'1:' %}{{ r.name }}{% endfor %}", o=article)
    assert out == "R, S0|R|S2|4|S0S1S2"


def test_lists_are_bounded(article):
    for index in range(30):
        article.readers.add(Subscriber.objects.create(name=f"S{index}", email=f"s{index}@e.org"))
    view = sandbox.view_of(article, registration_for)
    assert len(view["readers"]) == 20 and view["readers"]["count"] == 31


def test_relations_stop_at_the_maximum_depth(article):
    Comment.objects.create(article=article, name="D", text="x")
    comment = Comment.objects.get(name="D")
    out = render("{{ c.article.author.username }}|{{ c.article.author.groups }}", c=comment)
    assert out == "ann|None"  # two relations deep at most
    paths = [e["path"] for e in variables.describe_model(Comment, registration_for, "c")]
    assert "c.article.author.username" in paths
    assert not [p for p in paths if p.count(".") > 3]


def test_picker_description_lists_types_and_labels():
    entries = {e["path"]: e for e in variables.describe_model(Article, registration_for, "object")}
    assert entries["object.title"] == {"path": "object.title", "label": "title", "type": "text"}
    assert entries["object.author"]["type"] == "object"
    assert entries["object.author.date_joined"]["type"] == "datetime"
    assert entries["object.editors"]["type"] == "list"
    assert {"path": "item.username", "label": "username", "type": "text"} in \
        entries["object.editors"]["items"]
    assert not [p for p in entries if "password" in p]


@pytest.mark.parametrize("method", [
    Notification.issue, Notification.issue_now, Notification.preview, Delivery.resend,
    FailedMessage.resend, InboxItem.mark_read, RegistryEntry.notify, DeclaredNotification.issue,
])
def test_methods_that_send_or_write_are_marked_alters_data(method):
    assert method.alters_data is True


def test_django_itself_refuses_to_call_them(article):
    # Defence in depth for objects that reach a template some other way (a
    # project's own engine rendering a Delivery, say).
    delivery = Delivery.objects.create(backend="locmem", protocol="email",
                                       message={"subject": "s", "text": "t"},
                                       to_addresses=["a@example.org"], status=Delivery.FAILED)
    assert DjangoTemplate("{{ d.resend }}").render(DjangoContext({"d": delivery})) == ""
    delivery.refresh_from_db()
    assert delivery.status == Delivery.FAILED and locmem.outbox == []
    assert delivery.resend() is not None and locmem.outbox  # called directly, it does resend
