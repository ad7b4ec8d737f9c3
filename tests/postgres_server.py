"""A real PostgreSQL server for the tests and benchmarks: initdb in a temporary folder, started
with pg_ctl on a free loopback port, stopped and removed at the end.

initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` user (Debian's
package creates it) or, failing that, `nobody`. When the server cannot start, `start()` raises
ServerUnavailable with the reason and the server's own log: the run fails, it never skips."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import queue
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ADMIN = "warroom_admin"


class ServerUnavailable(RuntimeError):
    pass


def _bindir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if candidates:
        return Path(candidates[-1]).parent
    raise ServerUnavailable(
        "PostgreSQL's server programs (initdb, pg_ctl) are not installed: on Debian or Ubuntu "
        "`apt-get install postgresql` (.ci/run does this when they are missing)"
    )


def _server_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ServerUnavailable("running as root, and neither a `postgres` nor a `nobody` user exists")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    root: Path
    port: int
    bindir: Path
    user: pwd.struct_passwd | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = "postgres", user: str = ADMIN) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid}
        done = subprocess.run(  # noqa: PLW1510 - checked below, with the output in the error
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            cwd=self.root,
            **kwargs,  # type: ignore[arg-type]
        )
        if check and done.returncode != 0:
            raise ServerUnavailable(
                f"{args[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout}"
                f"{self._log_tail()}"
            )
        return done

    def _log_tail(self) -> str:
        try:
            return "\nserver log:\n" + self.log.read_text()[-2000:]
        except OSError:
            return ""

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-w", "-t", "60", "-D", str(self.data), "-m", mode, check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def admin(self, sql: str, database: str = "postgres") -> None:
        """Runs `sql` as the superuser, outside a transaction (CREATE DATABASE needs that)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as connection:
            connection.execute(sql.encode())


def start() -> PostgresServer:
    bindir = _bindir()
    user = _server_user()
    root = Path(tempfile.mkdtemp(prefix="warroom-pg-"))
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    server = PostgresServer(root, _free_port(), bindir, user)
    server._run(
        "initdb",
        "-D",
        str(server.data),
        "-U",
        ADMIN,
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    )
    for attempt in range(3):  # the free port can be taken between probing and listening
        try:
            server.start()
            break
        except ServerUnavailable:
            if attempt == 2:
                shutil.rmtree(root, ignore_errors=True)
                raise
            server.port = _free_port()
            time.sleep(0.2)
    return server


class DatabasePool:
    """Copies of `template` kept ready, `READY` at a time, by one worker thread that also
    drops the databases given back. The thread waits on its queue of jobs (no polling); an
    error on it is raised in the test that takes the next database."""

    READY = 3

    def __init__(self, server: PostgresServer, template: str) -> None:
        self._server = server
        self._template = template
        self._names = itertools.count(1)
        self._ready: queue.Queue[str | BaseException] = queue.Queue()
        self._jobs: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="postgres-pool", daemon=True)
        self._thread.start()
        for _ in range(self.READY):
            self._jobs.put(("create", ""))

    def take(self) -> str:
        made = self._ready.get()
        if isinstance(made, BaseException):
            raise made
        self._jobs.put(("create", ""))
        return made

    def give_back(self, name: str) -> None:
        self._jobs.put(("drop", name))

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            what, name = job
            try:
                if what == "create":
                    name = f"test_{next(self._names)}"
                    self._server.admin(f"CREATE DATABASE {name} TEMPLATE {self._template}")
                    self._ready.put(name)
                else:
                    self._server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except Exception as exc:  # the next take() raises it, with the server's words
                self._ready.put(exc)
