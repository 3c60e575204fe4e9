"""Which variables a template uses, whether it can reach them, made-up samples, escaping."""

import pytest

from django_vox.backends.slack import Backend as SlackBackend
from django_vox.registry import objects
from django_vox.templating import rendering, samples, sandbox, variables
from tests.testapp.models import Article, Comment

pytestmark = pytest.mark.django_db


def registration_for(model):
    return objects[model].registration


def article_entries():
    return ([{"path": "object", "label": "article", "type": "object"}]
            + variables.describe_model(Article, registration_for, "object"))


def test_variables_used_are_found_in_every_tag_with_their_lines():
    source = ("Hi {{ object.title|default:object.body }}\n"
              "{% if object.author.username and actor.get_full_name %}x{% endif %}\n"
              "{% for c in object.editors.all %}{{ c.email }}{% endfor %}\n"
              "{% with t=object.summary_text %}{{ t }}{% endwith %}"
              "{% firstof recipient.name 'x' %}{% cycle 'a' object.pk as z %}{{ z }}")
    assert rendering.variables_used(source) == [
        (1, "object.title"), (1, "object.body"), (2, "object.author.username"),
        (2, "actor.get_full_name"), (3, "object.editors.all"), (3, "c.email"),
        (4, "object.summary_text"), (4, "t"), (4, "recipient.name"), (4, "object.pk"),
        (4, "z")]


@pytest.mark.parametrize("path,expected", [
    ("object", True), ("object.title", True), ("object.author.email", True),
    ("object.editors", True), ("object.editors.all", True), ("object.editors.count", True),
    ("object.editors.0.username", True), ("object.editors.all.0.email", True),
    ("object.get_absolute_url", False), ("object.summary_text", False),
    ("object.author.password", False), ("object.editors.all.query", False),
    ("object.editors.count.real", False), ("object.comments", False), ("settings", False),
])
def test_reachable(path, expected):
    assert variables.reachable(article_entries(), path) is expected


def test_unreachable_follows_loops_and_with():
    source = ("{% for e in object.editors %}{{ e.username }}{{ e.password }}{% endfor %}\n"
              "{% with a=object.author %}{{ a.email }}{{ a.get_session_auth_hash }}{% endwith %}\n"
              "{{ object.get_absolute_url }}{{ forloop.counter }}"
              "{% for k, v in object.items %}{{ v.x }}{% endfor %}")
    assert variables.unreachable(source, article_entries()) == [
        (1, "e.password"), (2, "a.get_session_auth_hash"), (3, "object.get_absolute_url"),
        (3, "object.items")]


def test_made_up_samples_are_labelled_and_unsaved():
    comment = samples.made_up(Comment, depth=2)
    assert comment.pk is None and comment.article.pk is None
    view = sandbox.view_of(comment, registration_for, sample=True)
    out = rendering.render("{{ c }}|{{ c.email }}|{{ c.article.title }}|"
                           "{{ c.article.author.username }}|{{ c.article.editors.count }}",
                           {"c": view})
    assert out == "Sample name on Sample title|sample@example.org|Sample title|" \
        "Sample username|0"
    assert not Comment.objects.exists() and not Article.objects.exists()


def markdownish(text):
    return text.replace("*", "\\*").replace("<", "&lt;").replace("=", "&#61;")


def test_data_is_escaped_wherever_the_template_prints_it():
    values = {"name": sandbox.to_template_value("*Ann*"),
              "data": sandbox.to_template_value({"n": "<b>*x*</b>", "l": ["*a*", "*b*"]})}
    source = ("{{ name }}|{% firstof missing name %}|{% cycle name 'y' %}|"
              "{% blocktranslate with n=name %}Hi {{ n }}{% endblocktranslate %}|"
              "{{ name|upper }}|{{ data.n|linebreaksbr }}|{{ data.l|join:', ' }}|"
              "{% for x in data.l %}{{ x }}{% endfor %}|{{ name|safe }}|{{ '*lit*' }}")
    out = rendering.render(source, values, escape=markdownish)
    assert out == ("\\*Ann\\*|\\*Ann\\*|\\*Ann\\*|Hi \\*Ann\\*|\\*ANN\\*|&lt;b>\\*x\\*&lt;/b>|"
                   "\\*a\\*, \\*b\\*|\\*a\\*\\*b\\*|*Ann*|*lit*")
    # without an escape, the same template escapes HTML only
    assert rendering.render("{{ name }}{% firstof name %}", values) == "*Ann**Ann*"


def test_slack_values_cannot_mention_the_channel_or_disguise_links():
    name = "<!channel> & <https://evil.example|your invoice>"
    message = SlackBackend().build_message(
        "", "*New:* {{ name }} | {% firstof name %} | {{ name|upper }} | "
            "<https://example.org/|our site> & more", {"name": name})
    escaped = "&lt;!channel&gt; &amp; &lt;https://evil.example|your invoice&gt;"
    upper = "&lt;!CHANNEL&gt; &amp; &lt;HTTPS://EVIL.EXAMPLE|YOUR INVOICE&gt;"
    assert message.text == (f"*New:* {escaped} | {escaped} | {upper} | "
                            "<https://example.org/|our site> & more")


def test_markdown_email_escapes_data_in_tags_filters_and_setext_headings():
    from django_vox.backends.markdown_email import Backend as MarkdownBackend

    values = {"name": "Name\n====\n*x* [l](javascript:alert(1))"}
    body = ("Hi\n{{ name }}\n\n{% firstof name %}\n\n{% cycle name 'y' %}\n\n"
            "{% blocktranslate with n=name %}Dear {{ n }}{% endblocktranslate %}\n\n"
            "{{ name|linebreaksbr }}\n\n{{ name|lower }}")
    html = MarkdownBackend().build_message("", body, values).html
    assert "<h1>" not in html and "<em>" not in html and "<a " not in html
    assert html.count("&#61;===") == 6  # the reader sees "====", Markdown sees no heading
    text = MarkdownBackend().build_message("", "{{ name }}", values).text
    assert text == values["name"]  # the text part is the data as typed


def test_describe_context_lists_what_the_context_holds(make_template):
    from django_vox.models import Notification
    from django_vox.templating.visibility import describe_context

    notification = Notification.objects.get_for_model(Article, "moved")
    template = make_template(Article, "moved", recipients="c:author,si")
    described = describe_context(notification, template)
    assert [g["name"] for g in described["groups"]] == [
        "object", "actor", "target", "notification", "contact", "links"]
    paths = {f["path"]: f for g in described["groups"] for f in g["fields"]}
    assert paths["object.title"]["type"] == "text" and paths["actor.username"]
    assert paths["target.name"] and paths["notification.description"]
    assert not [p for p in paths if "password" in p]
    assert described["recipients"] == {"c:author": "auth.user", "si": "contact"}
    assert set(described["models"]) == {"auth.user", "contact"}
    assert {"path": "recipient.address", "label": "address", "type": "text"} in \
        described["models"]["contact"]
    template.bulk = True
    bulk = describe_context(notification, template)
    assert [g["name"] for g in bulk["groups"]] == ["object", "actor", "target", "notification"]
    assert bulk["recipients"] == {} and bulk["models"] == {}


def test_every_described_path_renders_and_nothing_else_does(article):
    from django_vox.issuing.context import build_context
    from django_vox.models import Notification
    from django_vox.templating.visibility import describe_context

    notification = Notification.objects.get_for_model(Article, "published")
    context = build_context(article, notification=notification)
    described = describe_context(notification)
    paths = [f["path"] for g in described["groups"] if g["name"] in ("object", "notification")
             for f in g["fields"]]
    rendered = rendering.render("|".join("{{ " + p + " }}" for p in paths), context)
    assert len(rendered.split("|")) == len(paths)
    assert "Summary of" not in rendering.render("{{ object.summary_text }}", context)


def test_w010_names_saved_templates_using_unreachable_variables(make_template):
    from django.core import checks

    bad = make_template(Article, "published", content="Read\n{{ object.get_absolute_url }}",
                        subject="{{ object.title }}")
    make_template(Article, "published", content="{{ object.title }} {{ recipient.email }}",
                  recipients="c:author")
    assert checks.run_checks(tags=["django_vox"]) == []  # a database check: only when asked
    messages = [m for m in checks.run_checks(tags=["django_vox_templates"],
                                             databases=["default"])
                if m.id == "django_vox.W010"]
    assert len(messages) == 1 and messages[0].obj == bad
    assert "{{ object.get_absolute_url }} in its content (line 2)" in messages[0].msg
    assert "template_variables" in messages[0].hint
