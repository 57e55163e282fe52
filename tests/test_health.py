"""The link checker, against HTTP servers these tests start on loopback
addresses: no test needs the network or contacts any other host."""

import datetime
import email.utils
import io
import itertools
import socket
import threading
import time
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import click
from wagtail_outbound import __version__, health
from wagtail_outbound.models import Health, Link, LinkCheck, Placement, fingerprint
from wagtail_outbound.tasks import check_outbound_links

DAY = datetime.timedelta(days=1)
# Every answer, by path: (status, headers). HEAD gets the same, without a body.
ANSWERS = {
    "/ok": (200, {}),
    "/other": (200, {}),
    "/moved": (301, {"Location": "/ok"}),
    "/moved-twice": (308, {"Location": "/moved"}),
    "/found": (302, {"Location": "/ok"}),
    "/moved-then-found": (301, {"Location": "/found"}),
    "/temporary": (307, {"Location": "/ok"}),
    "/moved-to-missing": (301, {"Location": "/missing"}),
    "/loop": (302, {"Location": "/loop"}),
    "/to-file": (302, {"Location": "file:///etc/passwd"}),
    "/missing": (404, {}),
    "/gone": (410, {}),
    "/error": (500, {}),
    "/unavailable": (503, {}),
    "/maintenance": (503, {"Retry-After": "60"}),
    "/login": (401, {}),
    "/forbidden": (403, {}),
    "/busy": (429, {"Retry-After": str(2 * 24 * 3600)}),
    "/busy-no-date": (429, {}),
    "/not-modified": (304, {}),
    "/to-bad-port": (302, {"Location": "http://example.com:99999/"}),
    "/to-bad-ipv6": (302, {"Location": "http://[::1/"}),
    "/to-escape": (302, {"Location": "/ok?\x1b]0;PWNED\x07\x1b[2J x"}),
}
HANG_SECONDS = 5


class Server:
    """An HTTP server on a loopback address that answers :data:`ANSWERS`,
    ``/no-head`` (405 to HEAD, 200 to GET), ``/hang`` (no answer for
    seconds), ``/slow`` and ``/together`` (both wait for one another), and
    records every request and how many it served at once."""

    def __init__(self, host="127.0.0.1"):
        self.requests = []  # (method, path, headers, monotonic start)
        self.active = self.most_active = 0
        self.lock = threading.Lock()
        self.released = threading.Event()
        self.together = threading.Barrier(2, timeout=HANG_SECONDS)
        self.httpd = ThreadingHTTPServer((host, 0), self._handler())
        self.host = host
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.05,), daemon=True
        )

    def url(self, path, scheme="http"):
        return f"{scheme}://{self.host}:{self.port}{path}"

    def paths(self, method=None):
        return [path for m, path, *_ in self.requests if method in (None, m)]

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self):
                self.answer()

            def do_GET(self):
                self.answer()

            def answer(self):
                with server.lock:
                    server.requests.append(
                        (self.command, self.path, dict(self.headers), time.monotonic())
                    )
                    server.active += 1
                    server.most_active = max(server.most_active, server.active)
                try:
                    status, headers = self.decide()
                finally:
                    with server.lock:
                        server.active -= 1
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def decide(self):
                path = self.path.split("?")[0]
                if path == "/no-head":
                    return (405 if self.command == "HEAD" else 200), {}
                if path == "/hang":
                    server.released.wait(HANG_SECONDS)
                    return 200, {}
                if path == "/slow":
                    time.sleep(0.05)  # long enough for a second request to overlap
                    return 200, {}
                if path == "/together":
                    try:
                        server.together.wait()
                    except threading.BrokenBarrierError:
                        return 500, {}
                    return 200, {}
                return ANSWERS.get(path, (404, {}))

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.released.set()
        self.together.abort()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    with Server() as running:
        yield running


@pytest.fixture
def other_server():
    """A second host: 127.0.0.2 is loopback too."""
    with Server("127.0.0.2") as running:
        yield running


@pytest.fixture(autouse=True)
def checker_settings(settings):
    """Loopback allowed (the tests' servers are there), no delay, short
    time-outs; a test that needs a setting changes it."""
    settings.WAGTAIL_OUTBOUND_LINK_CHECK_ALLOW_PRIVATE = True
    settings.WAGTAIL_OUTBOUND_LINK_CHECK_HOST_DELAY = 0
    settings.WAGTAIL_OUTBOUND_LINK_CHECK_TIMEOUT = 2
    return settings


def in_content(url, pages=1, site_id=1):
    """A link that ``pages`` live pages hold (the inventory's rows)."""
    link, _ = Link.objects.get_or_create(
        url_hash=fingerprint(url), defaults={"url": url, "domain": health.host_of(url)}
    )
    now = timezone.now()
    for page_id in range(1, pages + 1):
        Placement.objects.create(
            site_id=site_id, page_id=page_id, link=link, first_seen=now, last_seen=now
        )
    return link


def checked(url):
    return LinkCheck.objects.get(link__url=url)


def check(*urls, **options):
    """Put ``urls`` in content, run the checker, return their checks."""
    for url in urls:
        in_content(url)
    health.check_links(**options)
    return [checked(url) for url in urls]


# What each answer means


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status", "http_status"),
    [
        ("/ok", Health.OK, 200),
        ("/no-head", Health.OK, 200),
        ("/missing", Health.BROKEN, 404),
        ("/gone", Health.BROKEN, 410),
        ("/error", Health.BROKEN, 500),
        ("/unavailable", Health.BROKEN, 503),
        ("/maintenance", Health.BLOCKED, 503),
        ("/login", Health.BLOCKED, 401),
        ("/forbidden", Health.BLOCKED, 403),
        ("/busy", Health.BLOCKED, 429),
        ("/busy-no-date", Health.BLOCKED, 429),
        ("/not-modified", Health.UNKNOWN, 304),
    ],
)
def test_each_answer_has_its_status(server, path, status, http_status):
    (result,) = check(server.url(path))
    assert (result.status, result.http_status) == (status, http_status)
    assert result.final_url == ""
    assert not result.permanent
    assert result.checked_at is not None
    assert (result.error != "") == (status == Health.UNKNOWN)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "permanent"),
    [
        ("/moved", True),  # 301
        ("/moved-twice", True),  # 308, 301
        ("/found", False),  # 302
        ("/temporary", False),  # 307
        ("/moved-then-found", False),  # 301, then 302
    ],
)
def test_a_redirect_records_where_it_ends_and_whether_it_is_permanent(
    server, path, permanent
):
    (result,) = check(server.url(path))
    assert result.status == Health.REDIRECTED
    assert result.http_status == 200
    assert result.final_url == server.url("/ok")
    assert result.permanent is permanent


@pytest.mark.django_db
def test_a_redirect_to_a_missing_page_is_broken_and_says_where_it_went(server):
    (result,) = check(server.url("/moved-to-missing"))
    assert (result.status, result.http_status) == (Health.BROKEN, 404)
    assert result.final_url == server.url("/missing")


@pytest.mark.django_db
def test_a_redirect_loop_is_broken_after_the_redirect_bound(server):
    (result,) = check(server.url("/loop"))
    assert result.status == Health.BROKEN
    assert "redirects" in result.error
    assert len(server.paths()) == health.MAX_REDIRECTS + 1


@pytest.mark.django_db
def test_a_redirect_to_an_invalid_address_is_broken_and_the_run_goes_on(server):
    bad_port, bad_ipv6, fine = check(
        server.url("/to-bad-port"), server.url("/to-bad-ipv6"), server.url("/ok")
    )
    for result in (bad_port, bad_ipv6):
        assert result.status == Health.BROKEN
        assert result.error == "Redirected to an invalid address"
    assert fine.status == Health.OK


@pytest.mark.django_db
def test_a_redirect_is_stored_quoted(server):
    (result,) = check(server.url("/to-escape"))
    assert result.status == Health.REDIRECTED
    assert result.final_url == server.url("/ok?%1B]0;PWNED%07%1B[2J%20x")


@pytest.mark.django_db
def test_a_failing_check_is_logged_and_the_run_goes_on(server, monkeypatch, caplog):
    real = health.Checker.check

    def check_or_fail(checker, url, session=None):
        if url.endswith("/other"):
            raise RuntimeError("a bug")
        return real(checker, url, session)

    monkeypatch.setattr(health.Checker, "check", check_or_fail)
    failed, fine = check(server.url("/other"), server.url("/ok"))
    assert (failed.status, failed.error) == (
        Health.UNKNOWN,
        "Not checked: the check failed",
    )
    assert fine.status == Health.OK
    assert "a bug" in caplog.text


@pytest.mark.django_db
def test_a_redirect_to_another_scheme_is_not_followed(server):
    (result,) = check(server.url("/to-file"))
    assert result.status == Health.UNKNOWN
    assert result.final_url == "file:///etc/passwd"
    assert "not a web address" in result.error


@pytest.mark.django_db
def test_head_refused_is_asked_again_with_get(server):
    check(server.url("/no-head"))
    assert server.paths() == ["/no-head", "/no-head"]
    assert [method for method, *_ in server.requests] == ["HEAD", "GET"]


@pytest.mark.django_db
def test_an_error_is_only_reported_after_get_confirms_it(server):
    check(server.url("/missing"))
    assert [method for method, *_ in server.requests] == ["HEAD", "GET"]


@pytest.mark.django_db
def test_a_working_link_costs_one_head_request(server):
    check(server.url("/ok"))
    assert [method for method, *_ in server.requests] == ["HEAD"]


@pytest.mark.django_db
def test_a_time_out_is_unknown_not_broken(server, settings):
    settings.WAGTAIL_OUTBOUND_LINK_CHECK_TIMEOUT = 0.3
    started = time.monotonic()
    (result,) = check(server.url("/hang"))
    assert time.monotonic() - started < HANG_SECONDS
    assert result.status == Health.UNKNOWN
    assert result.error.startswith("Timed out")


@pytest.fixture
def drip():
    """A server that answers its headers a byte every 0.1 s for 20 s: no
    read waits long enough to time out. Records when each connection ended."""
    listener = socket.create_server(("127.0.0.1", 0))
    ended = []

    def answer(conn):
        with conn:
            conn.recv(4096)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                for _ in range(200):
                    conn.sendall(b"a")
                    time.sleep(0.1)
                conn.sendall(b"\r\nContent-Length: 0\r\n\r\n")
                ended.append("finished")
            except OSError:
                ended.append("cut")

    def serve():
        with suppress(OSError):
            while True:
                conn, _ = listener.accept()
                threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/", ended
    listener.close()


@pytest.mark.django_db
def test_headers_sent_a_byte_at_a_time_time_out(drip, settings):
    settings.WAGTAIL_OUTBOUND_LINK_CHECK_TIMEOUT = 0.5
    url, ended = drip
    (result,) = check(url)
    # Each byte came within the time-out; the request's deadline cut it.
    assert result.status == Health.UNKNOWN
    assert result.error.startswith("Timed out")
    assert "finished" not in ended


@pytest.mark.django_db
def test_a_refused_connection_is_broken():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    (result,) = check(f"http://127.0.0.1:{port}/")
    assert result.status == Health.BROKEN
    assert result.error == "Connection refused"
    assert result.http_status is None


@pytest.mark.django_db
def test_a_tls_failure_is_broken(server):
    # The server speaks plain HTTP: the TLS handshake fails.
    (result,) = check(server.url("/ok", scheme="https"))
    assert result.status == Health.BROKEN
    assert result.error.startswith("TLS error: [SSL")
    assert "Max retries" not in result.error


@pytest.fixture
def dns(monkeypatch):
    """The resolver, answering for ``*.invalid`` hosts with the error set in
    ``dns.error``, and as usual for every other name (loopback addresses)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if str(host).endswith(".invalid"):
            raise socket.gaierror(getaddrinfo.error, "test resolver")
        return real(host, *args, **kwargs)

    getaddrinfo.error = socket.EAI_NONAME
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return getaddrinfo


@pytest.mark.django_db
def test_a_host_that_does_not_exist_is_broken(dns):
    (result,) = check("https://no-such-host.invalid/page")
    assert result.status == Health.BROKEN
    assert result.error == "No such host: no-such-host.invalid"


@pytest.mark.django_db
def test_a_resolver_that_fails_says_nothing_about_the_link(dns):
    dns.error = socket.EAI_AGAIN
    (result,) = check("https://no-such-host.invalid/page")
    assert result.status == Health.UNKNOWN
    assert result.error.startswith("DNS lookup failed")


@pytest.mark.django_db
def test_the_checker_names_itself(server):
    check(server.url("/ok"))
    (agent,) = [headers["User-Agent"] for *_, headers, _ in server.requests]
    assert agent == f"wagtail-outbound-linkcheck/{__version__} (+{health.PROJECT_URL})"


# Which links, how often, how politely


@pytest.mark.django_db
def test_each_url_is_checked_once_however_many_pages_hold_it(server):
    in_content(server.url("/ok"), pages=3)
    in_content(server.url("/other"), pages=2)
    summary = health.check_links()
    assert summary == {Health.OK: 2}
    assert sorted(server.paths()) == ["/ok", "/other"]


@pytest.mark.django_db
def test_only_links_in_content_or_clicked_lately_are_checked(server, site):
    in_content(server.url("/ok"))
    Link.objects.create(
        url=server.url("/other"),
        url_hash=fingerprint(server.url("/other")),
        domain="127.0.0.1",
        last_seen=timezone.now() - 90 * DAY,  # was in content
    )
    today = timezone.now().date()
    click(site, server.url("/found"), day=today - datetime.timedelta(days=30))
    click(site, server.url("/moved"), day=today - datetime.timedelta(days=31))
    Link.objects.create(  # clicked once, long ago, and pruned since
        url=server.url("/gone"), url_hash=fingerprint(server.url("/gone")), domain="x"
    )
    health.check_links()
    assert set(server.paths()) == {"/found", "/ok", "/other"}
    assert not LinkCheck.objects.filter(
        link__url__in=[server.url("/moved"), server.url("/gone")]
    ).exists()


@pytest.mark.django_db
def test_a_link_is_checked_again_when_it_is_due_and_not_before(server):
    (first,) = check(server.url("/ok"))
    assert health.check_links() == {}
    assert len(server.requests) == 1
    LinkCheck.objects.update(next_check=timezone.now() - DAY)
    assert health.check_links() == {Health.OK: 1}
    assert len(server.requests) == 2
    assert checked(server.url("/ok")).checked_at > first.checked_at


@pytest.mark.django_db
def test_next_check_is_sooner_for_clicked_and_for_failing_links(server, site):
    in_content(server.url("/ok"))
    in_content(server.url("/other"))
    click(site, server.url("/other"))
    in_content(server.url("/missing"))
    health.check_links()

    def interval(path):
        found = checked(server.url(path))
        return found.next_check - found.checked_at

    assert interval("/ok") == 7 * DAY
    assert interval("/other") == 1 * DAY
    assert interval("/missing") == 1 * DAY


@pytest.mark.django_db
def test_the_intervals_are_settings(server, site, settings):
    settings.WAGTAIL_OUTBOUND_LINK_CHECK_INTERVAL_DAYS = 30
    settings.WAGTAIL_OUTBOUND_LINK_CHECK_CLICKED_INTERVAL_DAYS = 3
    in_content(server.url("/ok"))
    in_content(server.url("/other"))
    click(site, server.url("/other"))
    health.check_links()
    for path, days in [("/ok", 30), ("/other", 3)]:
        found = checked(server.url(path))
        assert found.next_check - found.checked_at == days * DAY


@pytest.mark.django_db
def test_one_request_at_a_time_per_host(server):
    for index in range(6):
        in_content(server.url(f"/slow?{index}"))
    summary = health.check_links(workers=4)
    assert summary == {Health.OK: 6}
    assert len(server.requests) == 6
    assert server.most_active == 1


@pytest.mark.django_db
def test_one_request_at_a_time_per_host_when_other_hosts_redirect_to_it(
    server, other_server
):
    """Links on 127.0.0.2 redirect to 127.0.0.1, whose own links another
    thread checks meanwhile: 127.0.0.1 still serves one request at a time."""
    ANSWERS["/to-first"] = (302, {"Location": server.url("/slow")})
    try:
        for index in range(4):
            in_content(server.url(f"/slow?{index}"))
            in_content(other_server.url(f"/to-first?{index}"))
        summary = health.check_links(workers=2)
    finally:
        del ANSWERS["/to-first"]
    assert summary == {Health.OK: 4, Health.REDIRECTED: 4}
    assert len(server.requests) == 8
    assert server.most_active == 1


@pytest.mark.django_db
def test_several_hosts_are_checked_at_once(server, other_server, settings):
    """Each server's ``/together`` answers only when the other has been
    asked too: a checker that took one host after the other would see 500."""
    settings.WAGTAIL_OUTBOUND_LINK_CHECK_TIMEOUT = 2 * HANG_SECONDS
    server.together = other_server.together
    in_content(server.url("/together"))
    in_content(other_server.url("/together"))
    assert health.check_links(workers=2) == {Health.OK: 2}


@pytest.mark.django_db
def test_requests_to_one_host_are_a_polite_delay_apart(server, settings):
    settings.WAGTAIL_OUTBOUND_LINK_CHECK_HOST_DELAY = 0.2
    for path in ("/ok", "/other", "/no-head"):
        in_content(server.url(path))
    health.check_links()
    starts = [start for *_, start in server.requests]
    assert len(starts) == 4  # /no-head is asked twice, a delay apart too
    assert all(b - a >= 0.2 for a, b in itertools.pairwise(starts))


@pytest.mark.django_db
def test_retry_after_keeps_the_checker_off_that_host(server, other_server):
    now = timezone.now()
    in_content(server.url("/busy"))  # checked first: never checked, lowest id
    in_content(server.url("/ok"))
    in_content(server.url("/other"))
    in_content(other_server.url("/ok"))
    summary = health.check_links(workers=1)

    assert server.requests[0][:2] == ("HEAD", "/busy")
    assert len(server.requests) == 1  # no GET, no other URL of that host
    assert summary == {Health.BLOCKED: 1, health.DEFERRED: 2, Health.OK: 1}
    asked_until = now + 2 * DAY  # Retry-After: 172800
    busy = checked(server.url("/busy"))
    assert (busy.status, busy.http_status) == (Health.BLOCKED, 429)
    assert asked_until <= busy.next_check < asked_until + datetime.timedelta(minutes=1)
    for path in ("/ok", "/other"):
        put_off = checked(server.url(path))
        assert put_off.status == Health.UNKNOWN
        assert put_off.checked_at is None
        assert put_off.next_check == busy.next_check
    assert checked(other_server.url("/ok")).status == Health.OK


@pytest.mark.django_db
def test_a_link_put_off_keeps_what_it_was_found_before(server):
    (ok,) = check(server.url("/ok"))
    LinkCheck.objects.update(next_check=timezone.now() - DAY)
    in_content(server.url("/busy"))  # checked first: never checked
    health.check_links(workers=1)
    assert server.paths() == ["/ok", "/busy"]
    again = checked(server.url("/ok"))
    assert (again.status, again.checked_at) == (Health.OK, ok.checked_at)
    assert again.next_check > timezone.now() + DAY


def test_retry_after_reads_seconds_and_http_dates():
    now = timezone.now().replace(microsecond=0)
    longest = now + 7 * DAY
    in_three_days = email.utils.format_datetime(now + 3 * DAY, usegmt=True)
    assert health.retry_after("120", now, longest) == now + datetime.timedelta(
        seconds=120
    )
    assert health.retry_after(in_three_days, now, longest) == now + 3 * DAY
    assert health.retry_after("99999999", now, longest) == longest
    assert health.retry_after("9" * 5000, now, longest) == longest
    past = email.utils.format_datetime(now - DAY, usegmt=True)
    assert health.retry_after(past, now, longest) == now
    for unreadable in (None, "", "soon", "-5", "²"):
        assert health.retry_after(unreadable, now, longest) is None


# The checker runs on the server: what it will not contact


@pytest.mark.django_db
def test_loopback_is_not_contacted_unless_allowed(server, settings):
    settings.WAGTAIL_OUTBOUND_LINK_CHECK_ALLOW_PRIVATE = False
    (result,) = check(server.url("/ok"))
    assert server.requests == []
    assert result.status == Health.UNKNOWN
    assert "private or local address" in result.error


@pytest.mark.django_db
def test_a_redirect_to_a_private_address_is_not_followed(
    server, other_server, settings, monkeypatch
):
    """127.0.0.1 stands for a public host here; 127.0.0.2 for an internal one."""
    settings.WAGTAIL_OUTBOUND_LINK_CHECK_ALLOW_PRIVATE = False
    monkeypatch.setattr(health, "is_public", lambda address: address == "127.0.0.1")
    ANSWERS["/to-internal"] = (302, {"Location": other_server.url("/ok")})
    try:
        (result,) = check(server.url("/to-internal"))
    finally:
        del ANSWERS["/to-internal"]
    assert server.paths() == ["/to-internal"]
    assert other_server.requests == []
    assert result.status == Health.UNKNOWN
    assert result.final_url == other_server.url("/ok")


@pytest.mark.django_db
def test_a_host_that_resolves_again_to_a_private_address_is_not_contacted(
    server, settings, monkeypatch
):
    """DNS rebinding: the host's first answer is public (the checker vets
    it), every later one is the loopback server's address."""
    settings.WAGTAIL_OUTBOUND_LINK_CHECK_ALLOW_PRIVATE = False
    real = socket.getaddrinfo
    answers = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebinding.example":
            return real(host, port, *args, **kwargs)
        answers.append(host)
        address = "93.184.215.14" if len(answers) == 1 else server.host
        return real(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    (result,) = check(f"http://rebinding.example:{server.port}/ok")
    assert len(answers) == 2  # vetted, then resolved again to connect
    assert server.requests == []
    assert result.status == Health.UNKNOWN
    assert (
        result.error == "Not checked: rebinding.example is a private or local address"
    )


@pytest.mark.django_db
def test_public_only_connections_still_reach_public_hosts(server, monkeypatch):
    """127.0.0.1 stands for a public host: the vetted connection reaches it,
    over HEAD and GET, and a refused port or a failed TLS handshake is still
    a broken link."""
    monkeypatch.setattr(health, "is_public", lambda address: address == "127.0.0.1")
    checker = health.Checker(allow_private=False, delay=0)
    assert checker.check(server.url("/ok")).status == Health.OK
    assert checker.check(server.url("/no-head")).status == Health.OK
    assert server.paths() == ["/ok", "/no-head", "/no-head"]
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    refused = checker.check(f"http://127.0.0.1:{port}/")
    assert refused.status == Health.BROKEN
    # TLS over the vetted socket: a plain HTTP server fails the handshake.
    tls = checker.check(server.url("/ok", scheme="https"))
    assert (tls.status, tls.error[:15]) == (Health.BROKEN, "TLS error: [SSL")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("127.1.2.3", False),
        ("::1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("224.0.1.1", False),
        # IPv4 inside IPv6: NAT64, 6to4, Teredo (its client), IPv4-compatible.
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b::5db8:d70e", True),
        ("64:ff9b:1::7f00:1", False),
        ("2002:a9fe:a9fe::1", False),
        ("2002:5db8:d70e::1", True),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),
        ("::7f00:1", False),
        ("::5db8:d70e", False),
    ],
)
def test_only_public_addresses_are_contacted_by_default(address, public):
    assert health.is_public(address) is public


# The command and the task


@pytest.mark.django_db
def test_the_command_checks_what_is_due_and_prints_a_summary(server):
    in_content(server.url("/ok"))
    in_content(server.url("/missing"))
    out = io.StringIO()
    call_command("outbound_check_links", stdout=out)
    assert "Checked 2 links: 1 OK, 0 Redirected, 1 Broken" in out.getvalue()
    out = io.StringIO()
    call_command("outbound_check_links", stdout=out)
    assert "Checked 0 links" in out.getvalue()


@pytest.mark.django_db
def test_the_command_checks_everything_with_all(server):
    check(server.url("/ok"), server.url("/other"))
    call_command("outbound_check_links", "--all", stdout=io.StringIO())
    assert len(server.requests) == 4


@pytest.mark.django_db
def test_the_command_checks_one_url_with_url(server):
    check(server.url("/ok"), server.url("/other"))
    out = io.StringIO()
    call_command(
        "outbound_check_links", "--url", server.url("/other"), "-v", "2", stdout=out
    )
    assert server.paths() == ["/ok", "/other", "/other"]
    assert f"ok          {server.url('/other')} 200" in out.getvalue()
    with pytest.raises(CommandError, match="No outbound link stored"):
        call_command("outbound_check_links", "--url", server.url("/nowhere"))


@pytest.mark.django_db
def test_the_command_checks_the_most_overdue_first_with_limit(server):
    check(server.url("/ok"), server.url("/other"))
    LinkCheck.objects.filter(link__url=server.url("/other")).update(
        next_check=timezone.now() - 2 * DAY
    )
    LinkCheck.objects.filter(link__url=server.url("/ok")).update(
        next_check=timezone.now() - DAY
    )
    call_command("outbound_check_links", "--limit", "1", stdout=io.StringIO())
    assert server.paths()[2:] == ["/other"]


@pytest.mark.django_db
def test_the_task_checks_what_is_due(server):
    in_content(server.url("/ok"))
    in_content(server.url("/gone"))
    assert check_outbound_links.call() == {"ok": 1, "broken": 1}
    assert checked(server.url("/gone")).http_status == 410
