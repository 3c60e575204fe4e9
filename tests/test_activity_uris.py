"""Registration IRIs: object -> absolute IRI and back."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.core.exceptions import ImproperlyConfigured

from django_vox import activities
from django_vox.registry import Registration, objects
from tests.testapp.models import Article, Comment, Depot, Subscriber

pytestmark = pytest.mark.django_db
User = get_user_model()
urlpatterns = []  # a URLconf without django_vox.urls, for the urn:uuid fallback


def test_reverse_uses_site_domain_with_https_by_default(settings, ann):
    settings.SITE_DOMAIN = "example.org"
    assert activities.reverse_iri(ann) == "https://example.org/users/ann/"


def test_site_ssl_false_gives_http(settings, ann):
    settings.SITE_DOMAIN = "example.org:8000"
    settings.SITE_SSL = False
    assert activities.reverse_iri(ann) == "http://example.org:8000/users/ann/"
    settings.SITE_SSL = True
    assert activities.reverse_iri(ann) == "https://example.org:8000/users/ann/"


def test_sites_framework_is_the_fallback(settings, ann):
    assert not hasattr(settings, "SITE_DOMAIN")
    site = Site.objects.get_current()
    site.domain = "news.example.net"
    site.save()
    article = Article.objects.create(author=ann, title="Hi")
    assert activities.reverse_iri(article) == f"https://news.example.net/articles/{article.pk}/"
    assert activities.resolve_iri(f"https://news.example.net/articles/{article.pk}/") == article


def test_without_domain_or_sites_the_error_names_the_setting(settings, ann):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS
                               if app != "django.contrib.sites"]
    with pytest.raises(ImproperlyConfigured, match="SITE_DOMAIN"):
        activities.reverse_iri(ann)


def test_site_domain_may_carry_its_scheme_but_not_a_path(settings, ann):
    settings.SITE_DOMAIN, settings.SITE_SSL = "http://example.org/", True  # the scheme wins
    assert activities.reverse_iri(ann) == "http://example.org/users/ann/"
    assert activities.resolve_iri("http://example.org/users/ann/") == ann
    settings.SITE_DOMAIN = "example.org/blog"
    with pytest.raises(ImproperlyConfigured, match="SITE_DOMAIN"):
        activities.reverse_iri(ann)


def test_resolve_finds_the_object_through_the_named_groups(settings, ann):
    settings.SITE_DOMAIN = "example.org"
    bob = User.objects.create(username="bob.b@x+y-z")
    article = Article.objects.create(author=ann, title="Hi")
    assert activities.resolve_iri("https://example.org/users/ann/") == ann
    assert activities.resolve_iri(activities.reverse_iri(bob)) == bob
    assert activities.resolve_iri(f"https://example.org/articles/{article.pk}/") == article
    assert activities.resolve_path(f"articles/{article.pk}/") == article


@pytest.mark.parametrize("iri", [
    "https://example.org/users/nobody/",       # no such user
    "https://example.org/articles/999999/",    # no such article
    "https://example.org/articles/abc/",       # does not match the regex
    "https://elsewhere.org/users/ann/",        # another site
    "http://example.org/users/ann/",           # another scheme
    "https://example.org/users/ann/?x=1",      # a query is not part of an object IRI
    "https://example.org/comments/1/",         # a model without a regex
    "users/ann/",                              # not absolute
])
def test_resolve_returns_none_for_unknown_iris(settings, ann, iri):
    settings.SITE_DOMAIN = "example.org"
    assert activities.resolve_iri(iri) is None


def test_iri_is_percent_encoded_and_resolves_back(settings):
    settings.SITE_DOMAIN = "example.org"
    zoe = User.objects.create(username="zoé")
    iri = activities.reverse_iri(zoe)
    assert iri == "https://example.org/users/zo%C3%A9/"
    assert activities.resolve_iri(iri) == zoe


def test_percent_signs_survive_the_round_trip(settings):
    settings.SITE_DOMAIN = "example.org"
    original = objects[Depot]
    try:
        objects.add(Depot, type(original.registration), regex=r"^depots/(?P<name>[^/]+)/$")
        depot = Depot.objects.create(name="100% north")
        iri = activities.reverse_iri(depot)
        assert iri == "https://example.org/depots/100%25%20north/"
        assert activities.resolve_iri(iri) == depot
        assert activities.resolve_owners([iri]) == {iri: (Depot, depot.pk)}
    finally:
        objects.add(Depot, type(original.registration), regex=original.regex)


def test_models_without_regex_have_no_address(settings):
    settings.SITE_DOMAIN = "example.org"
    depot = Depot.objects.create(name="North")
    with pytest.raises(activities.ActivityIRIError, match="without a regex"):
        activities.reverse_iri(depot)
    assert activities.get_address(depot) is None


def test_unsaved_objects_have_no_address(settings):
    settings.SITE_DOMAIN = "example.org"
    with pytest.raises(activities.ActivityIRIError, match="no value for pk"):
        activities.reverse_iri(Article(title="draft"))


def test_values_that_do_not_fit_the_regex_are_refused(settings):
    settings.SITE_DOMAIN = "example.org"
    odd = User.objects.create(username="has space")
    with pytest.raises(activities.ActivityIRIError, match="do not fit"):
        activities.reverse_iri(odd)
    assert activities.get_address(odd) is None


def test_groups_follow_relations(settings, ann):
    settings.SITE_DOMAIN = "example.org"
    article = Article.objects.create(author=ann, title="Hi")
    comment = Comment.objects.create(article=article, name="C", text="t")
    original = objects[Comment]
    try:
        objects.add(Comment, type(original.registration),
                    regex=r"^articles/(?P<article__pk>\d+)/comments/(?P<pk>\d+)/$")
        iri = activities.reverse_iri(comment)
        assert iri == f"https://example.org/articles/{article.pk}/comments/{comment.pk}/"
        assert activities.resolve_iri(iri) == comment
    finally:
        objects.add(Comment, type(original.registration), regex=original.regex)


@pytest.mark.parametrize("regex, message", [
    (r"^things/(\d+)/$", "needs named groups"),
    (r"^things/(?P<pk>\d+)/(x|y)/$", "unnamed groups"),
    (r"^things/(?P<pk>\d+/$", "invalid"),
])
def test_unusable_regexes_are_refused_naming_the_model(regex, message):
    with pytest.raises(ValueError, match=message) as info:
        objects.add(Subscriber, Registration, regex=regex)
    assert "testapp.Subscriber" in str(info.value)
    assert objects[Subscriber].regex is None  # the old registration is kept


def test_activity_contact_is_the_iri(settings, ann):
    settings.SITE_DOMAIN = "example.org"
    registration = objects[User].registration
    contacts = list(registration.get_contacts(ann, "activity", None))
    assert [(c.address, c.obj) for c in contacts] == [("https://example.org/users/ann/", ann)]
    depot = Depot.objects.create(name="North")
    assert list(objects[Depot].registration.get_contacts(depot, "activity", None)) == []


def test_activity_ids_round_trip(settings):
    settings.SITE_DOMAIN = "example.org"
    key = "0f8fad5b-d9cb-469f-a165-70867728950e"
    iri = activities.activity_iri(key)
    assert iri == f"https://example.org/vox/activities/{key}/"
    assert activities.activity_key_from_iri(iri) == key
    assert activities.activity_key_from_iri(f"urn:uuid:{key}") == key
    assert activities.activity_key_from_iri(f"https://elsewhere.org/vox/activities/{key}/") is None
    assert activities.activity_key_from_iri("https://example.org/vox/activities/nope/") is None


def test_activity_ids_fall_back_to_urns_without_the_urls(settings):
    settings.ROOT_URLCONF = __name__  # this module: no django_vox.urls
    settings.SITE_DOMAIN = "example.org"
    key = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert activities.activity_iri(key) == f"urn:uuid:{key}"


def test_resolve_owners_agrees_with_resolve_iri_in_few_queries(
        settings, ann, django_assert_max_num_queries):
    settings.SITE_DOMAIN = "example.org"
    users = User.objects.bulk_create(User(username=f"user{n}") for n in range(40))
    article = Article.objects.create(author=ann, title="Hi")
    iris = [f"https://example.org/users/{u.username}/" for u in users] + [
        f"https://example.org/articles/{article.pk}/",
        f"https://example.org/articles/00{article.pk}/",   # the database normalises it
        "https://example.org/users/nobody/",
        "https://elsewhere.org/users/user1/",
        "https://example.org/articles/x/",
    ]
    with django_assert_max_num_queries(5):
        found = activities.resolve_owners(iris[:41])
    found = activities.resolve_owners(iris)
    expected = {}
    for iri in iris:
        instance = activities.resolve_iri(iri)
        if instance is not None:
            expected[iri] = (type(instance), instance.pk)
    assert found == expected
    assert len(found) == 42


def test_resolve_owners_with_several_groups(settings, ann):
    settings.SITE_DOMAIN = "example.org"
    article = Article.objects.create(author=ann, title="Hi")
    comments = [Comment.objects.create(article=article, name="C", text="t") for _ in range(3)]
    original = objects[Comment]
    try:
        objects.add(Comment, type(original.registration),
                    regex=r"^articles/(?P<article__pk>\d+)/comments/(?P<pk>\d+)/$")
        iris = [activities.reverse_iri(c) for c in comments]
        wrong = f"https://example.org/articles/{article.pk + 1}/comments/{comments[0].pk}/"
        found = activities.resolve_owners([*iris, wrong])
    finally:
        objects.add(Comment, type(original.registration), regex=original.regex)
    assert found == {iri: (Comment, c.pk) for iri, c in zip(iris, comments)}


def test_default_activity_objects(settings, ann, monkeypatch):
    settings.SITE_DOMAIN = "example.org"
    article = Article.objects.create(author=ann, title="Café")
    monkeypatch.setattr(Article, "get_absolute_url",
                        lambda self: f"/read/{self.pk}/caf%C3%A9/", raising=False)
    assert activities.get_activity_object(article) == {
        "type": "Object", "id": f"https://example.org/articles/{article.pk}/", "name": "Café",
        "url": f"https://example.org/read/{article.pk}/caf%C3%A9/"}
    assert activities.get_activity_object(ann) == {
        "type": "Person", "id": "https://example.org/users/ann/", "name": "ann"}
    depot = Depot.objects.create(name="North")
    assert activities.get_activity_object(depot) == {"type": "Object", "name": "North"}
