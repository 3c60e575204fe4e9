"""Budgets that hold before the work is done (issue 34, item 3): filters are
refused from the sizes of their inputs (lists, strings, mappings), through
the admin preview and a real send over SMTP."""

import pytest

from django_vox.models import Delivery
from django_vox.templating.sizes import estimate, measure
from tests.backends.email_helpers import vox_email  # noqa: F401
from tests.test_template_attacks import article, preview  # noqa: F401
from tests.testapp.models import Article
from tests.testapp.registrations import ArticleRegistration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("article")]

#: A list doubled by |add in 14 nested {% with %} blocks: 100 letters become 1.6 million items.
DOUBLING = ('{% with l0="' + "x" * 100 + '"|make_list %}\n'
            + "".join(f"{{% with l{i + 1}=l{i}|add:l{i} %}}" for i in range(14))
            + "{{ l14|length }}" + "{% endwith %}" * 15)
#: 2,000 items joined by a 1,000-character separator: two million characters.
JOIN = ('{% with s="x"|ljust:"1000" %}{% with l=s|make_list %}{% with m=l|add:l %}\n'
        "{{ m|join:s }}{% endwith %}{% endwith %}{% endwith %}")


def test_a_doubling_list_is_refused_before_it_is_built(admin_client):
    response = preview(admin_client, DOUBLING)
    assert response.status_code == 400
    assert response.json()["error"].startswith(
        "Line 2: The filter |add would make a value longer than 1000000 characters")


def test_a_join_is_refused_from_its_inputs_sizes(admin_client):
    response = preview(admin_client, JOIN)
    assert response.status_code == 400
    assert response.json()["error"].startswith(
        "Line 2: The filter |join would make a value longer than 1000000 characters")


def test_sizes_of_every_kind_of_value():
    assert measure("abc", 10) == 3
    assert measure(["ab", "c"], 100) == 5
    assert measure({"k": "value"}, 100) == 8
    assert measure(["x" * 50] * 1000, 100) <= 102  # stops as soon as it is over
    assert measure(10 ** 5000, 10**6) < 6000  # never prints a huge number
    assert estimate("join", ["a"] * 10, [", "], 1000) == 20 + 9 * 2
    assert estimate("add", ["a"] * 10, [["b"] * 10], 1000) == 40


@pytest.mark.usefixtures("vox_email")
def test_a_budget_attack_in_a_real_send_fails_the_message(smtp_server, make_template, committed,
                                                         settings):
    settings.DJANGO_VOX_THROW_EXCEPTIONS = False
    make_template(Article, "published", backend="email-html", recipients="c:author",
                  content=DOUBLING)
    with committed():
        ArticleRegistration.published.issue(Article.objects.get())
    assert smtp_server.messages == []
    failed = Delivery.objects.get(status=Delivery.FAILED, backend="email-html")
    assert "The filter |add would make a value longer" in failed.error
