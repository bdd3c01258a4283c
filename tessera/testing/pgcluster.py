"""Start and stop a throwaway PostgreSQL cluster for tests and benchmarks.

PostgreSQL refuses to run as root, so when we are root the cluster is owned by the
unprivileged ``postgres`` user (created by Debian's package) and every server command
runs through ``runuser``. The server listens on 127.0.0.1 on a free port and on a unix
socket inside the cluster directory; nothing is left behind after :meth:`stop`.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

__all__ = ["PgCluster", "find_pg_bin"]


def find_pg_bin() -> str | None:
    """Return the directory holding initdb/pg_ctl, newest version first, or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for directory in candidates:
        if os.path.exists(os.path.join(directory, "initdb")):
            return directory
    initdb = shutil.which("initdb")
    return os.path.dirname(os.path.realpath(initdb)) if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgCluster:
    """A private PostgreSQL server; use as a context manager or call start()/stop()."""

    settings: dict[str, str] = field(default_factory=dict)
    port: int = 0
    directory: str = ""
    _run_as: list[str] = field(default_factory=list)

    def __enter__(self) -> PgCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _cmd(self, *args: str) -> list[str]:
        return [*self._run_as, *args]

    def start(self) -> None:
        bindir = find_pg_bin()
        if bindir is None:
            raise RuntimeError(
                "PostgreSQL is not installed: install it with `apt-get install -y postgresql` "
                "(the README's test command does this for you)."
            )
        self.port = self.port or _free_port()
        self.directory = tempfile.mkdtemp(prefix="tessera-pg-")
        if os.geteuid() == 0:
            self._run_as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.directory, user="postgres", group="postgres")
        data = os.path.join(self.directory, "data")
        subprocess.run(
            self._cmd(os.path.join(bindir, "initdb"), "-D", data, "-U", "postgres",
                      "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"),
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        options = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.directory}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            "shared_buffers": "256MB",
            "work_mem": "64MB",
            "maintenance_work_mem": "512MB",
            **self.settings,
        }
        with open(os.path.join(data, "postgresql.conf"), "a") as conf:
            for key, value in options.items():
                conf.write(f"{key} = {value}\n")
        subprocess.run(
            self._cmd(os.path.join(bindir, "pg_ctl"), "-D", data, "-w", "-t", "60",
                      "-l", os.path.join(self.directory, "server.log"), "start"),
            check=True, stdout=subprocess.DEVNULL,
        )
        self._bindir = bindir
        self._data = data
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not start; see {self.directory}/server.log")

    def stop(self) -> None:
        if not self.directory:
            return
        subprocess.run(
            self._cmd(os.path.join(self._bindir, "pg_ctl"), "-D", self._data, "-m", "immediate",
                      "-w", "stop"),
            check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = ""
