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
import queue
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import urljoin, urlsplit

import requests
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
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
# A link clicked within this many days is checked on the short schedule.
CLICKED_DAYS = 30
REDIRECTS = {301, 302, 303, 307, 308}
PERMANENT = {301, 308}
# getaddrinfo's "this name does not exist" answers; others (a resolver that
# is down, EAI_AGAIN) say nothing about the link.
NO_SUCH_HOST = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
# Summary key of the links a run put off because their host asked it to wait.
DEFERRED = "deferred"


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
                    answers.put((link, checker.check(link.url, session)))
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
    it connects to public addresses only (:class:`PublicOnlyAdapter`)."""
    session = requests.Session()
    session.trust_env = False
    session.headers.update({"User-Agent": USER_AGENT, "Accept": "*/*"})
    if public_only:
        adapter = PublicOnlyAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session


class PublicOnlyAdapter(requests.adapters.HTTPAdapter):
    """Connects to an address vetted when the socket is opened, never to a
    name resolved again after it: a host whose DNS answers a public address
    to :meth:`Checker._vet` and a private one a moment later (DNS
    rebinding; the links clicked lately are visitors' choice) is refused,
    not contacted. urllib3 opens every socket in ``_new_conn``."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PublicHTTPPool,
            "https": _PublicHTTPSPool,
        }


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


class _PublicHTTPConnection(HTTPConnection):
    def _new_conn(self):
        return _connect_public(self)


class _PublicHTTPSConnection(HTTPSConnection):
    def _new_conn(self):
        return _connect_public(self)


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

    def _follow(self, url, session, hops):
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return Result(Health.UNKNOWN, error="Not checked: not a web address")
            host = parts.hostname.lower()
            try:
                self._vet(host, parts.port or (443 if parts.scheme == "https" else 80))
                response = self._fetch(session, url, host)
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
                url = urljoin(url, location.strip())
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

    def _fetch(self, session, url, host):
        response = self._ask(session, "HEAD", url, host)
        # Many servers answer HEAD wrongly (405, 501, but also 400, 403, 404
        # or 500 where GET works): only GET's answer counts as an error. Not
        # after 429 or Retry-After: the host asked to be left alone.
        if response.status_code >= 400 and self.hosts.paused(host) is None:
            response = self._ask(session, "GET", url, host)
        return response

    def _ask(self, session, method, url, host):
        with self.hosts.turn(host):
            response = session.request(
                method,
                url,
                allow_redirects=False,
                stream=True,  # GET: headers only, the body is never read
                timeout=self.timeout,
            )
            response.close()
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


def is_public(address):
    """Whether the checker may connect to this IP address (text): a public
    unicast address, not loopback, private, link-local, shared or reserved,
    also when an IPv4 address is mapped into IPv6."""
    ip = ipaddress.ip_address(address.split("%")[0])
    ip = getattr(ip, "ipv4_mapped", None) or ip
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
