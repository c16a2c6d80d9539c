"""A throwaway PostgreSQL server for the test suite, started with initdb and pg_ctl.

Debian's `postgresql` package provides the binaries; no Docker. The cluster lives in a
temporary folder, listens on 127.0.0.1 only, and is stopped when the session ends.
Set TEST_POSTGRES_URL to use an existing server instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _find_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise RuntimeError(
        f"PostgreSQL's {name} was not found. Install Debian's postgresql package "
        "(make test and .ci/run do this): apt-get install -y postgresql"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TemporaryPostgres:
    def __init__(self) -> None:
        self.port = _free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="monitor-pg-"))
        self.data = self.directory / "data"
        self._run_as: list[str] = []
        if os.geteuid() == 0:
            # initdb refuses to run as root: run the cluster as the postgres user.
            pwd.getpwnam("postgres")
            shutil.chown(self.directory, user="postgres")
            self._run_as = ["runuser", "-u", "postgres", "--"]
        self.user = "postgres" if self._run_as else pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args: str) -> None:
        subprocess.run([*self._run_as, *args], check=True, capture_output=True, text=True)

    def start(self) -> str:
        self._run(
            _find_bin("initdb"),
            "-D",
            str(self.data),
            "--auth=trust",
            "--username",
            self.user,
            "--encoding=UTF8",
            "--locale=C",
        )
        self._run(
            _find_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.directory / "server.log"),
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.directory} -F",
            "-w",
            "start",
        )
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run(_find_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
