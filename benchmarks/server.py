"""gunicorn for the ingestion and fault benchmarks: start, find its workers,
stop. Also used by tests/test_ingestion_faults.py."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid):
    """Process ids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # "pid (name) state ppid ...": the name may hold spaces.
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return sorted(found)


def database_url(settings_dict):
    """A DATABASE_URL for dj-database-url naming the database of a Django
    connection's ``settings_dict`` (a test database included)."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


class Gunicorn:
    """gunicorn serving ``benchmarks.wsgi`` (which uses DJANGO_SETTINGS_MODULE
    from ``env``) with sync workers on a free port of 127.0.0.1."""

    def __init__(
        self, workers, env, log_path=None, timeout=120, preload=False, threads=1
    ):
        self.port = free_port()
        self.workers = workers
        self.log_path = log_path
        self._log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "benchmarks.wsgi:application",
                f"--workers={workers}",
                f"--bind=127.0.0.1:{self.port}",
                "--log-level=warning",
                # A worker stuck past this is killed by the master, like in
                # production; no request here should take a tenth of it.
                "--timeout=120",
                # The master imports the site once and forks workers from it,
                # so a killed worker is replaced in milliseconds.
                *(["--preload"] if preload else []),
                # More than one thread: gunicorn's gthread workers.
                *([f"--threads={threads}"] if threads > 1 else []),
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self._log,
            stderr=self._log,
        )
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout):
        """Until a worker answers (GET on the collect endpoint: 405)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode})")
            try:
                connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=5
                )
                connection.request("GET", "/outbound/collect/")
                connection.getresponse().read()
                connection.close()
                return
            except (OSError, http.client.HTTPException):
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def worker_pids(self):
        return children(self.process.pid)

    def wait_workers(self, exclude=(), timeout=60):
        """Until the master runs ``workers`` workers, none of them in
        ``exclude`` (killed ones it has to replace); returns their pids."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = [pid for pid in self.worker_pids() if pid not in exclude]
            if len(pids) == self.workers:
                return pids
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not restart its workers: {pids}")

    def kill_workers(self):
        """SIGKILL every worker at once; returns their pids."""
        pids = self.wait_workers()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        return pids

    def stop(self):
        """A graceful stop (SIGTERM), then SIGKILL after 30 s, workers too."""
        if self.process.poll() is None:
            workers = self.worker_pids()
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                for pid in workers:  # orphans of the killed master
                    if _is_gunicorn(pid):
                        os.kill(pid, signal.SIGKILL)
        if self._log is not subprocess.DEVNULL:
            self._log.close()
            self._log = subprocess.DEVNULL


def _is_gunicorn(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"gunicorn" in cmdline.read()
    except OSError:
        return False
