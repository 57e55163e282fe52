"""The link checker: do the outbound links in content still work?

Which links: every :class:`~.models.Link` in published content (the inventory)
or clicked in the last 30 days, once however many pages hold it, when its
:class:`~.models.LinkCheck` is due (:func:`links_due`).

How: ``HEAD``, then ``GET`` when the server refuses ``HEAD`` (headers only:
the body is never read); redirects followed one hop at a time, to http and
https addresses only, at most :data:`MAX_REDIRECTS`; connect and read
time-outs; one request at a time per host, a polite delay apart, several hosts
in parallel (:class:`Hosts`); a host that answers 429 (or 503 with
``Retry-After``) is not asked again in the run, nor before the time it named.

What it finds (:class:`~.models.Health`):

- OK: a 2xx answer; REDIRECTED: a 2xx answer after redirects (``final_url``,
  and ``permanent`` when every hop was 301 or 308);
- BROKEN: any other 4xx or 5xx, no such host, connection refused or reset,
  TLS error, too many redirects;
- BLOCKED ("worth a look"): 401, 403, 429, and 503 with ``Retry-After``: the
  server would not answer a robot, which does not prove the link is broken;
- UNKNOWN: a time-out (a slow or overloaded server is not a missing page: it
  is checked again on the short schedule), a failed DNS lookup other than "no
  such host", an address the checker will not contact (a private network, a
  redirect to a non-web scheme), or an answer that is none of the above.
"""

import dataclasses
import datetime
import email.utils
import ipaddress
import logging
import queue
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from urllib.parse import urljoin, urlsplit

import requests
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from requests.utils import requote_uri
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.connection import create_connection

from . import __version__, conf
from .models import Health, Link, LinkCheck, LinkClicks, Placement
from .periods import Span, today

PROJECT_URL = "https://github.com/wagtail-outbound/wagtail-outbound"
USER_AGENT = f"wagtail-outbound-linkcheck/{__version__} (+{PROJECT_URL})"
MAX_REDIRECTS = 10
# A server that sends its headers a byte at a time never trips a socket's
# time-out, which bounds each read: a request may take at most this many
# time-outs in all, and a link (redirects included) this many more.
REQUEST_TIMEOUTS = 2
LINK_TIMEOUTS = 3
# A link clicked within this many days is checked on the short schedule.
CLICKED_DAYS = 30
REDIRECTS = {301, 302, 303, 307, 308}
INVALID_REDIRECT = "Redirected to an invalid address"
PERMANENT = {301, 308}
# getaddrinfo's "this name does not exist" answers; others (a resolver that
# is down, EAI_AGAIN) say nothing about the link.
NO_SUCH_HOST = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
# Summary key of the links a run put off because their host asked it to wait.
DEFERRED = "deferred"

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Result:
    """What one URL answered. ``final_url`` and ``permanent`` are set when a
    redirect was followed; ``error`` says why when there was no answer."""

    status: str
    http_status: int | None = None
    final_url: str = ""
    permanent: bool = False
    error: str = ""
    # Not before this time: the host asked the checker to wait (Retry-After).
    wait_until: datetime.datetime | None = None
    # Not checked in this run: the host had asked to wait.
    deferred: bool = False


def links_to_check():
    """Every link the checker looks after, due or not: web links that
    published content holds or that were clicked in the last 30 days."""
    in_content = Exists(Placement.objects.filter(link=OuterRef("pk")))
    return Link.objects.filter(
        Q(url__startswith="http://") | Q(url__startswith="https://"),
        in_content | Q(last_seen__isnull=False) | _clicked_lately(),
    )


def _clicked_lately():
    """Whether a link was clicked in the last ``CLICKED_DAYS`` days."""
    since = today() - datetime.timedelta(days=CLICKED_DAYS)
    return Exists(
        LinkClicks.objects.filter(link=OuterRef("pk"), span=Span.DAY, day__gte=since)
    )


def links_due(now=None):
    """The links to check now: never checked, or ``next_check`` passed."""
    now = now or timezone.now()
    return links_to_check().filter(
        Q(health__isnull=True)
        | Q(health__next_check__isnull=True)
        | Q(health__next_check__lte=now)
    )


def check_links(links=None, *, limit=None, checker=None, workers=None, report=None):
    """Check ``links`` (a ``Link`` queryset; by default :func:`links_due`),
    at most ``limit`` of them, the longest overdue first, and store each
    answer in its ``LinkCheck``.

    ``report(link, result)`` is called for each link as it is stored. Returns
    how many links ended in each status (``Health`` values), and how many
    were put off (:data:`DEFERRED`).
    """
    links = (links if links is not None else links_due()).annotate(
        clicked_lately=_clicked_lately()
    )
    links = links.order_by(F("health__next_check").asc(nulls_first=True), "pk")
    links = list(links.only("pk", "url")[:limit] if limit else links.only("pk", "url"))
    summary = Counter()
    if not links:
        return summary
    checker = checker or Checker()
    groups = {}
    for link in links:
        groups.setdefault(host_of(link.url), []).append(link)
    # The threads only talk HTTP; this thread stores every answer as it
    # arrives, so the threads need no database connection of their own.
    answers = queue.SimpleQueue()
    stop = threading.Event()

    def check_host(group):
        try:
            with new_session(public_only=not checker.allow_private) as session:
                for link in group:
                    if stop.is_set():
                        return
                    answers.put((link, checker.check_safely(link.url, session)))
        finally:
            answers.put(None)

    workers = workers or conf.get("WAGTAIL_OUTBOUND_LINK_CHECK_WORKERS")
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(groups))))
    try:
        futures = [pool.submit(check_host, groups[host]) for host in sorted(groups)]
        finished = 0
        while finished < len(futures):
            answer = answers.get()
            if answer is None:
                finished += 1
                continue
            link, result = answer
            save(link, result, clicked=link.clicked_lately)
            summary[DEFERRED if result.deferred else result.status] += 1
            if report:
                report(link, result)
        for future in futures:
            future.result()  # a bug in a thread is raised here, not lost
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
    return summary


def save(link, result, *, clicked=False, now=None):
    """Store ``result`` as ``link``'s check; a deferred link only gets its
    next check (a link never checked stays "unknown")."""
    now = now or timezone.now()
    if result.deferred:
        values = {"next_check": result.wait_until or next_check(result, clicked, now)}
    else:
        values = {
            "status": result.status,
            "http_status": result.http_status,
            "final_url": result.final_url,
            "permanent": result.permanent,
            "error": result.error[:255],
            "checked_at": now,
            "next_check": next_check(result, clicked, now),
        }
    LinkCheck.objects.update_or_create(link_id=link.pk, defaults=values)


def next_check(result, clicked, now):
    """When to check again: after the long interval when the link works and
    nobody clicked it lately, after the short one otherwise, and never
    before the time its host named."""
    days = conf.get("WAGTAIL_OUTBOUND_LINK_CHECK_INTERVAL_DAYS")
    if clicked or result.status not in (Health.OK, Health.REDIRECTED):
        days = min(days, conf.get("WAGTAIL_OUTBOUND_LINK_CHECK_CLICKED_INTERVAL_DAYS"))
    when = now + datetime.timedelta(days=days)
    if result.wait_until:
        when = max(when, result.wait_until)
    return when


def host_of(url):
    """The host a URL's requests count against (one request at a time)."""
    return (urlsplit(url).hostname or "").lower()


def new_session(*, public_only=True):
    """A ``requests`` session that names the checker and ignores proxy
    variables and ``.netrc`` (no credentials are ever sent). ``public_only``:
    it connects to public addresses only. Each request has a connection of
    its own (``Connection: close``), so :func:`deadline` knows its sockets."""
    session = requests.Session()
    session.trust_env = False
    session.headers.update(
        {"User-Agent": USER_AGENT, "Accept": "*/*", "Connection": "close"}
    )
    adapter = CheckerAdapter(public_only=public_only)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class CheckerAdapter(requests.adapters.HTTPAdapter):
    """Opens the checker's sockets (urllib3 opens every one in
    ``_new_conn``). With ``public_only``, to an address vetted as the socket
    opens, never to a name resolved again after it: a host whose DNS answers
    a public address to :meth:`Checker._vet` and a private one a moment
    later (DNS rebinding; the links clicked lately are visitors' choice) is
    refused, not contacted. Every socket is watched by :func:`deadline`."""

    def __init__(self, *, public_only=True, **kwargs):
        self.public_only = public_only
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        if self.public_only:
            pools = {"http": _PublicHTTPPool, "https": _PublicHTTPSPool}
        else:
            pools = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
        self.poolmanager.pool_classes_by_scheme = pools


# The request under way in each checker thread: see deadline().
_under_way = threading.local()


@contextmanager
def deadline(seconds):
    """Shut down the sockets this thread opens inside the block once
    ``seconds`` have passed, whatever they are waiting for; yields an event
    set when that happened."""
    watch = _Watch()
    _under_way.watch = watch
    timer = threading.Timer(seconds, watch.expire)
    timer.daemon = True
    timer.start()
    try:
        yield watch.expired
    finally:
        timer.cancel()
        _under_way.watch = None


class _Watch:
    def __init__(self):
        self.lock = threading.Lock()
        self.sockets = []
        self.expired = threading.Event()

    def add(self, sock):
        with self.lock:
            self.sockets.append(sock)
            if self.expired.is_set():
                _shut(sock)

    def expire(self):
        with self.lock:
            self.expired.set()
            for sock in self.sockets:
                _shut(sock)


def _shut(sock):
    # A socket closed already has nothing to stop.
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _watched(connection):
    watch = getattr(_under_way, "watch", None)
    if watch is not None and connection.sock is not None:
        watch.add(connection.sock)


def _connect_public(connection):
    """A socket to a public address of ``connection``'s host, resolved once."""
    host, port = connection._dns_host, connection.port
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise NewConnectionError(connection, f"Failed to resolve {host}") from error
    if not all(is_public(address[0]) for *_, address in found):
        raise _NoAnswer(
            Health.UNKNOWN, f"Not checked: {host} is a private or local address"
        )
    error = None
    for *_, address in found:
        try:
            return create_connection(
                address[:2],
                connection.timeout,
                source_address=connection.source_address,
                socket_options=connection.socket_options,
            )
        except TimeoutError as timeout:
            raise ConnectTimeoutError(
                connection, f"Connection to {host} timed out"
            ) from timeout
        except OSError as failure:
            error = failure
    raise NewConnectionError(
        connection, f"Failed to establish a new connection: {error}"
    ) from error


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self):
        super().connect()
        _watched(self)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self):
        super().connect()
        _watched(self)  # the TLS socket


class _PublicHTTPConnection(_WatchedHTTPConnection):
    def _new_conn(self):
        return _connect_public(self)


class _PublicHTTPSConnection(_WatchedHTTPSConnection):
    def _new_conn(self):
        return _connect_public(self)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class HostPaused(Exception):
    """The host asked the checker to wait (429, ``Retry-After``)."""

    def __init__(self, until):
        super().__init__(until)
        self.until = until


class Hosts:
    """Politeness shared by the threads of a run: one request at a time per
    host, ``delay`` seconds from the end of one to the start of the next,
    and none for the rest of the run to a host that asked to wait."""

    def __init__(self, delay):
        self.delay = delay
        self._guard = threading.Lock()
        self._locks = {}
        self._last = {}
        self._paused = {}

    @contextmanager
    def turn(self, host):
        """Hold ``host`` for one request; raise :class:`HostPaused` if it
        asked to wait."""
        with self._guard:
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            if host in self._paused:
                raise HostPaused(self._paused[host])
            if host in self._last:
                time.sleep(max(0, self._last[host] + self.delay - time.monotonic()))
            try:
                yield
            finally:
                self._last[host] = time.monotonic()

    def pause(self, host, until):
        """No more requests to ``host`` in this run; it named ``until``."""
        self._paused[host] = until

    def paused(self, host):
        return self._paused.get(host)


class Checker:
    """Checks URLs, following redirects; one checker is shared by the
    threads of a run, each with its own session."""

    def __init__(self, *, timeout=None, delay=None, allow_private=None):
        def given(value, name):
            if value is None:
                return conf.get(f"WAGTAIL_OUTBOUND_LINK_CHECK_{name}")
            return value

        self.timeout = given(timeout, "TIMEOUT")
        self.allow_private = given(allow_private, "ALLOW_PRIVATE")
        self.hosts = Hosts(given(delay, "HOST_DELAY"))

    def check(self, url, session=None):
        """Check one URL and return its :class:`Result`."""
        if session is None:
            with new_session(public_only=not self.allow_private) as session:
                return self.check(url, session)
        hops = []
        try:
            result = self._follow(url, session, hops)
        except HostPaused as paused:
            return Result(Health.UNKNOWN, deferred=True, wait_until=paused.until)
        if hops:
            # The address the last hop led to: the one that answered, or not.
            if result.status == Health.OK:
                result = dataclasses.replace(result, status=Health.REDIRECTED)
            result = dataclasses.replace(
                result,
                final_url=hops[-1][1],
                permanent=all(status in PERMANENT for status, _ in hops),
            )
        return result

    def check_safely(self, url, session=None):
        """:meth:`check`, with an unforeseen error logged and answered as
        "Not checked": one link must not stop a run."""
        try:
            return self.check(url, session)
        except Exception:
            logger.exception("Checking the outbound link %s failed", url)
            return Result(Health.UNKNOWN, error="Not checked: the check failed")

    def _follow(self, url, session, hops):
        # The whole link, redirects included, is bounded too.
        give_up = time.monotonic() + LINK_TIMEOUTS * self.timeout
        for _ in range(MAX_REDIRECTS + 1):
            try:
                parts = urlsplit(url)
                port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError:  # a port out of range, a broken IPv6 address
                error = INVALID_REDIRECT if hops else "Not a valid web address"
                return Result(Health.BROKEN, error=error)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return Result(Health.UNKNOWN, error="Not checked: not a web address")
            host = parts.hostname.lower()
            try:
                self._vet(host, port)
                response = self._fetch(session, url, host, give_up)
            except _NoAnswer as failure:
                return failure.result
            except requests.Timeout:
                return Result(Health.UNKNOWN, error=f"Timed out ({host})")
            except requests.exceptions.SSLError as error:
                return Result(Health.BROKEN, error=f"TLS error: {reason(error)}")
            except requests.ConnectionError as error:
                return Result(Health.BROKEN, error=reason(error))
            except requests.RequestException as error:
                return Result(Health.UNKNOWN, error=f"Request failed: {reason(error)}")
            location = response.headers.get("Location")
            if response.status_code in REDIRECTS and location:
                try:
                    # Quoted: control characters and spaces become %XX, so the
                    # address stored and printed is inert text.
                    url = requote_uri(urljoin(url, location.strip()))
                except ValueError:
                    return Result(Health.BROKEN, error=INVALID_REDIRECT)
                hops.append((response.status_code, url))
                continue
            return self._result(response, host)
        return Result(Health.BROKEN, error=f"More than {MAX_REDIRECTS} redirects")

    def _vet(self, host, port):
        """Refuse what the checker must not contact: a host that does not
        resolve, and (unless allowed) one with a non-public address, since
        the checker runs on the server (server-side request forgery)."""
        try:
            addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            if error.errno in NO_SUCH_HOST:
                raise _NoAnswer(Health.BROKEN, f"No such host: {host}") from error
            raise _NoAnswer(Health.UNKNOWN, f"DNS lookup failed: {error}") from error
        if self.allow_private:
            return
        for *_, address in addresses:
            if not is_public(address[0]):
                raise _NoAnswer(
                    Health.UNKNOWN, f"Not checked: {host} is a private or local address"
                )

    def _fetch(self, session, url, host, give_up):
        response = self._ask(session, "HEAD", url, host, give_up)
        # Many servers answer HEAD wrongly (405, 501, but also 400, 403, 404
        # or 500 where GET works): only GET's answer counts as an error. Not
        # after 429 or Retry-After: the host asked to be left alone.
        if response.status_code >= 400 and self.hosts.paused(host) is None:
            response = self._ask(session, "GET", url, host, give_up)
        return response

    def _ask(self, session, method, url, host, give_up):
        with self.hosts.turn(host):
            left = min(REQUEST_TIMEOUTS * self.timeout, give_up - time.monotonic())
            if left <= 0:
                raise requests.Timeout(f"No time left for {url}")
            with deadline(left) as expired:
                try:
                    response = session.request(
                        method,
                        url,
                        allow_redirects=False,
                        stream=True,  # GET: headers only, the body is never read
                        timeout=self.timeout,
                    )
                except requests.RequestException as error:
                    if expired.is_set():  # shut down by the deadline
                        raise requests.Timeout(str(error)) from error
                    raise
                except ValueError as error:
                    # requests reads Location even when it does not follow
                    # it, and an unreadable one raises.
                    raise _NoAnswer(Health.BROKEN, INVALID_REDIRECT) from error
            response.close()
            # Headers cut short by the deadline can read as a whole answer.
            if expired.is_set():
                raise requests.Timeout(f"No answer in {left:.1f} s from {host}")
            until = self._wait(response)
            if until:
                self.hosts.pause(host, until)
        return response

    def _wait(self, response):
        """Until when the server asked not to be asked again, or None:
        429 (for the short interval without a ``Retry-After``) and 503 with
        ``Retry-After``; never beyond the long interval."""
        if response.status_code not in (429, 503):
            return None
        now = timezone.now()
        longest = now + datetime.timedelta(
            days=conf.get("WAGTAIL_OUTBOUND_LINK_CHECK_INTERVAL_DAYS")
        )
        until = retry_after(response.headers.get("Retry-After"), now, longest)
        if until is None and response.status_code == 429:
            until = now + datetime.timedelta(
                days=conf.get("WAGTAIL_OUTBOUND_LINK_CHECK_CLICKED_INTERVAL_DAYS")
            )
        return until

    def _result(self, response, host):
        status = response.status_code
        wait_until = self.hosts.paused(host)
        if 200 <= status < 300:
            health = Health.OK
        elif status in (401, 403, 429) or (status == 503 and wait_until):
            health = Health.BLOCKED
        elif status >= 400:
            health = Health.BROKEN
        else:
            health = Health.UNKNOWN
        result = Result(health, http_status=status, wait_until=wait_until)
        if health == Health.UNKNOWN:
            result = dataclasses.replace(result, error=f"Unexpected answer {status}")
        return result


def reason(error):
    """The few words that say why a request failed: the socket's or the TLS
    library's own error, which ``requests`` and urllib3 wrap in theirs."""
    for _ in range(10):  # a few wrappers deep at most
        inner = getattr(error, "reason", None)
        if not isinstance(inner, BaseException):
            wrapped = [arg for arg in error.args if isinstance(arg, BaseException)]
            inner = wrapped[0] if wrapped else error.__cause__ or error.__context__
        if inner is None:
            break
        error = inner
    if isinstance(error, OSError) and error.strerror:
        return error.strerror  # "Connection refused", "Connection reset by peer"
    return str(error)


class _NoAnswer(Exception):
    def __init__(self, status, error):
        super().__init__(error)
        self.result = Result(status, error=error)


# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64,
# RFC 6052 and RFC 8215), and the deprecated IPv4-compatible ::/96.
NAT64 = [ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48")]
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def is_public(address):
    """Whether the checker may connect to this IP address (text): a public
    unicast address, not loopback, private, link-local, shared or reserved,
    also when an IPv4 address travels inside IPv6 (mapped, 6to4, Teredo,
    NAT64: a gateway would deliver it to that IPv4 address)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6:
        if ip in IPV4_COMPATIBLE:
            return False
        inside = ip.ipv4_mapped or ip.sixtofour or (ip.teredo or (None, None))[1]
        if inside is None and any(ip in network for network in NAT64):
            inside = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inside is not None:
            return is_public(str(inside))
    return ip.is_global and not ip.is_multicast


def retry_after(value, now, longest):
    """The time a ``Retry-After`` header names (seconds or an HTTP date),
    between ``now`` and ``longest``; None if absent or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        # Ten digits are over 300 years: no need to read a longer number.
        if len(value) > 10:
            return longest
        return min(now + datetime.timedelta(seconds=int(value)), longest)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return min(max(when, now), longest)
