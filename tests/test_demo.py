"""The demo blog, run the way ``make demo`` runs it: migrate, demo_setup and a
real ``runserver`` on a free port, with its own SQLite file.  The mail the
console email backend prints on the server's stdout is parsed and followed.
"""

import email
import email.policy
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from django_vox.backends import DEFAULT_BACKENDS

REPO = Path(__file__).resolve().parents[1]
SEPARATOR = "\n" + "-" * 79 + "\n"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _django(env, *args, **kwargs):
    return subprocess.run([sys.executable, "-m", "django", *args, "--settings=tests.demo.settings"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120, **kwargs)


class Demo:
    """The running demo server and the mail it has printed."""

    def __init__(self, base_url, stdout_path, process):
        self.base_url = base_url
        self.stdout_path = stdout_path
        self.process = process
        self.offset = 0
        self.session = requests.Session()

    def url(self, path):
        return self.base_url + path

    def new_mail(self):
        """The messages printed since the last call, parsed."""
        text = self.stdout_path.read_text(encoding="utf-8")
        new, self.offset = text[self.offset:], len(text)
        messages = []
        for chunk in new.split(SEPARATOR):
            start = chunk.find("Content-Type:")
            if start == -1:
                continue
            messages.append(email.message_from_string(chunk[start:].lstrip("\n"),
                                                      policy=email.policy.default))
        return messages

    def post_form(self, path, data, *, page=None):
        """POST ``data`` with the CSRF token of the form page (``page`` defaults to ``path``)."""
        form_page = self.session.get(self.url(page or path))
        assert form_page.status_code == 200, form_page.text[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page.text).group(1)
        return self.session.post(self.url(path), data={"csrfmiddlewaretoken": token, **data},
                                 headers={"Referer": self.url(page or path)},
                                 allow_redirects=False)


#: Closes the digest windows an hour from now (as cron would, an hour later).
CLOSE_THE_HOUR = ("from datetime import timedelta\nfrom django.utils import timezone\n"
                  "from django_vox import digests\n"
                  "digests.send_digests(timezone.now() + timedelta(hours=1, minutes=1))")


def _printed_mail(text):
    """The messages the console email backend printed in ``text``."""
    messages = []
    for chunk in text.split(SEPARATOR):
        start = chunk.find("Content-Type:")
        if start != -1:
            messages.append(email.message_from_string(chunk[start:].lstrip("\n"),
                                                      policy=email.policy.default))
    return messages


def _text(message):
    return message.get_body(("plain",)).get_content()


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory):
    port = _free_port()
    env = dict(os.environ, DEMO_DATABASE=str(tmp_path_factory.mktemp("demo") / "demo.sqlite3"),
               DEMO_ADDR=f"127.0.0.1:{port}", PYTHONUNBUFFERED="1")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env, port


@pytest.fixture(scope="module")
def demo_setup_output(demo_env):
    env, _port = demo_env
    migrate = _django(env, "migrate", "--noinput")
    assert migrate.returncode == 0, migrate.stderr
    setup = _django(env, "demo_setup")
    assert setup.returncode == 0, setup.stderr
    return setup


@pytest.fixture(scope="module")
def demo(demo_env, demo_setup_output, tmp_path_factory):
    env, port = demo_env
    out = tmp_path_factory.mktemp("demo-out") / "stdout.txt"
    with open(out, "w") as stdout, open(out.with_name("stderr.txt"), "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}",
             "--settings=tests.demo.settings"], cwd=REPO, env=env, stdout=stdout, stderr=stderr)
    server = Demo(f"http://127.0.0.1:{port}", out, process)
    server.env = env
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(server.url("/"), timeout=5)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("The demo server did not start:\n"
                                       + out.with_name("stderr.txt").read_text()) from None
                time.sleep(0.2)
        server.new_mail()  # skip the start-up banner
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_setup_prints_the_admin_login_and_is_idempotent(demo_env, demo_setup_output):
    env, port = demo_env
    assert f"http://127.0.0.1:{port}/admin/" in demo_setup_output.stdout
    assert "author@example.org / password" in demo_setup_output.stdout
    assert "superuser author@example.org" in demo_setup_output.stdout
    again = _django(env, "demo_setup")
    assert again.returncode == 0, again.stderr
    assert "already there" in again.stdout
    assert "author@example.org / password" in again.stdout


@pytest.fixture(scope="module")
def enabled_backends(demo_env, demo_setup_output):
    """{dotted path: ID} of the backends the demo enables."""
    env, _port = demo_env
    code = ("from django_vox.registry import backends\n"
            "for c in backends.all(): print(c.dotted_path(), c.ID)")
    shell = _django(env, "shell", "-c", code)
    assert shell.returncode == 0, shell.stderr
    return dict(line.split() for line in shell.stdout.splitlines() if line.startswith("django_vox."))


def test_every_backend_is_enabled_and_site_contacts_exist(demo_env, enabled_backends):
    env, _port = demo_env
    enabled = set(enabled_backends)
    package = REPO / "django_vox" / "backends"
    shipped = [path for path in (*DEFAULT_BACKENDS, "django_vox.backends.activity.Backend")
               if (package / f"{path.split('.')[2]}.py").exists()]
    assert shipped and set(shipped) <= enabled
    code = ("from django_vox.models import SiteContact\n"
            "print(' '.join(SiteContact.objects.values_list('protocol', flat=True)))")
    contacts = _django(env, "shell", "-c", code)
    assert contacts.returncode == 0, contacts.stderr
    assert {"email", "slack-webhook", "json-webhook", "sms"} <= set(contacts.stdout.split())
    check = _django(env, "check")
    assert check.returncode == 0, check.stderr
    assert "django_vox." not in check.stdout + check.stderr


def test_subscribe_post_comment_flow(demo, enabled_backends):
    # Subscribing on the index page: the email site contact hears of it.
    response = demo.post_form("/", {"name": "Lin Ma", "email": "lin@example.org"})
    assert response.status_code == 302
    [mail] = demo.new_mail()
    assert mail["To"] == "Editors <editors@example.org>" or mail["To"] == "editors@example.org"
    assert mail["Subject"] == "New subscriber: Lin Ma"
    assert "Lin Ma (lin@example.org) has subscribed" in _text(mail)

    # The author logs in with the printed login and posts an article.
    login = demo.post_form("/admin/login/?next=/admin/",
                           {"username": "author@example.org", "password": "password",
                            "next": "/admin/"})
    assert login.status_code == 302 and login.headers["Location"] == "/admin/"
    # Editors can pick any enabled backend for a template.
    notifications = demo.session.get(demo.url("/admin/django_vox/notification/"))
    change = re.search(r'href="(/admin/django_vox/notification/\d+/change/)', notifications.text)
    page = demo.session.get(demo.url(change.group(1)))
    assert page.status_code == 200
    offered = set(re.findall(r'<option value="([\w-]+)"', page.text))
    assert set(enabled_backends.values()) <= offered

    posted = demo.post_form("/admin/blog/article/add/",
                            {"title": "Fresh <news>", "body": "Today we tried django-vox."})
    assert posted.status_code == 302, posted.text[:2000]
    mails = {m["To"].addresses[0].addr_spec: m for m in demo.new_mail()}
    assert set(mails) == {"ada@example.org", "grace@example.org", "marie@example.org",
                          "lin@example.org"}
    mail = mails["lin@example.org"]
    assert mail["Subject"] == "New on the blog: Fresh <news>"
    assert "Hello Lin Ma" in _text(mail)
    html = mail.get_body(("html",)).get_content()
    assert "Fresh &lt;news&gt;" in html
    link = re.search(r'href="(http://[^"]+)"', html).group(1)
    assert link.startswith(demo.url("/articles/"))
    assert "?subscriber=" in link
    # The seeded mail carries the recipient's own unsubscribe link, and it works.
    unsubscribe = re.search(r'href="(http://[^"]+)">Stop these mails', html).group(1)
    assert unsubscribe.startswith(demo.url("/vox/"))
    assert demo.session.get(unsubscribe).status_code == 200
    assert "Stop receiving" in demo.session.get(unsubscribe).text
    # Marie reads French: her unsubscribe page speaks it (the link carries her
    # language; django-vox's catalogs), whatever the browser asks for.
    marie = mails["marie@example.org"].get_body(("html",)).get_content()
    marie_unsubscribe = re.search(r'href="(http://[^"]+/vox/unsubscribe/[^"]+)"', marie).group(1)
    french = demo.session.get(marie_unsubscribe)
    assert french.status_code == 200 and "Ne plus recevoir" in french.text

    # The link opens the article with a comment form for this subscriber.
    page = demo.session.get(link)
    assert page.status_code == 200
    assert "Comment as Lin Ma" in page.text
    path = link[len(demo.base_url):]
    token = path.split("?subscriber=")[1]
    commented = demo.post_form(path.split("?")[0], {"subscriber": token, "text": "Works for me!"},
                               page=path)
    assert commented.status_code == 302
    assert "Works for me!" in demo.session.get(link).text

    # The article's author is told.
    [mail] = demo.new_mail()
    assert mail["To"].addresses[0].addr_spec == "author@example.org"
    assert mail["Subject"] == "Lin Ma commented on Fresh <news>"
    assert "Works for me!" in _text(mail)
    assert "lin@example.org" in _text(mail)

    # Further comments within the hour are held for the author's hourly digest.
    for text in ("Second thought", "Third thought"):
        more = demo.post_form(path.split("?")[0], {"subscriber": token, "text": text}, page=path)
        assert more.status_code == 302
    assert demo.new_mail() == []
    closed = _django(demo.env, "shell", "-c", CLOSE_THE_HOUR)
    assert closed.returncode == 0, closed.stderr
    [digest] = [m for m in _printed_mail(closed.stdout)
                if m["To"].addresses[0].addr_spec == "author@example.org"]
    assert digest["Subject"] == "2 new comments on your articles"
    assert "Second thought" in _text(digest) and "Third thought" in _text(digest)


def test_a_signed_in_subscriber_sees_the_bell(demo):
    ada = requests.Session()
    form = ada.get(demo.url("/accounts/login/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    signed_in = ada.post(demo.url("/accounts/login/"), allow_redirects=False,
                         headers={"Referer": demo.url("/accounts/login/")},
                         data={"csrfmiddlewaretoken": token, "username": "ada@example.org",
                               "password": "password"})
    assert signed_in.status_code == 302
    assert "data-vox-bell" in ada.get(demo.url("/")).text
    assert "data-vox-bell" not in requests.get(demo.url("/")).text  # only when signed in
    before = ada.get(demo.url("/vox/inapp/api/count/")).json()["unread"]

    author = demo.post_form("/admin/login/?next=/admin/",
                            {"username": "author@example.org", "password": "password",
                             "next": "/admin/"})
    assert author.status_code == 302
    posted = demo.post_form("/admin/blog/article/add/",
                            {"title": "Bell news", "body": "Shown under the bell."})
    assert posted.status_code == 302
    demo.new_mail()
    assert ada.get(demo.url("/vox/inapp/api/count/")).json()["unread"] == before + 1
    [newest] = ada.get(demo.url("/vox/inapp/api/messages/?limit=1")).json()["results"]
    assert newest["title"] == "New article: Bell news"
    assert newest["link"].startswith("/articles/")  # the object's get_absolute_url()
    assert "<strong>Bell news</strong>" in newest["body"]
