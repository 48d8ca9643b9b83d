"""A real PostgreSQL server for the tests: Debian's initdb and pg_ctl, on a temporary folder,
listening only on a unix socket there, with a fresh database per use."""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

# Debian installs the server's programs outside PATH, per major version.
PATTERNS = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin")
USER = "feedsvc"  # the server's superuser; trust on its socket, which only this folder holds
PASSWORD = "pg-secret-never-shown"  # in every address, to check that no message shows it


def bin_dir() -> Path | None:
    """The newest installed server's programs, or None; found by glob, never a fixed version."""
    found = [Path(folder) for pattern in PATTERNS for folder in glob.glob(pattern)]
    found = [folder for folder in found if (folder / "initdb").exists()]
    if found:
        return max(
            found, key=lambda folder: [int(p) for p in folder.parent.name.split(".") if p.isdigit()]
        )
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def missing() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None."""
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return "psycopg is not installed: pip install -e '.[test]'"
    if bin_dir() is None:
        return "no PostgreSQL server is installed (Debian: apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "initdb refuses to run as root, and there is no postgres user to run it as"
    return None


def _as_owner(command: list[str]) -> list[str]:
    """initdb and the server refuse to run as root: as root, run them as Debian's postgres."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


class Server:
    def __init__(self, root: Path, programs: Path) -> None:
        self.root = root
        self.programs = programs
        self.data = root / "data"
        self.log = root / "log"

    def _run(self, *command: str) -> None:
        subprocess.run(
            _as_owner([str(self.programs / command[0]), *command[1:]]),
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            cwd=self.root,  # the postgres user may not enter the checkout, and the server says so
        )

    def start(self) -> None:
        """Make the cluster the first time, then start its server (again, after `stop`)."""
        # A throwaway cluster: no fsync, no TCP, the socket in the folder itself.
        if not (self.data / "PG_VERSION").exists():
            self._run(
                "initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8",
                "--no-sync",
            )  # fmt: skip
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            self.options,
            "-w",
            "start",
        )

    @property
    def options(self) -> str:
        return f"-k {self.root} -c listen_addresses= -c fsync=off -c max_connections=200"

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def restart(self) -> None:
        """As a failover or an upgrade does: every open connection is cut."""
        # With its log file: otherwise the server would keep our output pipe open forever.
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w", "restart"
        )

    def address(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}:{PASSWORD}@/{database}?host={self.root}"

    def new_database(self) -> str:
        """A fresh empty database's address."""
        import psycopg

        name = f"t_{secrets.token_hex(6)}"
        with psycopg.connect(self.address(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}".encode())
        return self.address(name)

    def sql(self, address: str, query: str) -> list[tuple[object, ...]]:
        import psycopg

        with psycopg.connect(address, autocommit=True) as connection:
            cursor = connection.execute(query.encode())
            return cursor.fetchall() if cursor.description else []


PREFIX = "feedsvc-pg-"
OWNER = "pytest.pid"  # in each server's folder: the session that started it


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_orphans(programs: Path) -> None:
    """Stop the servers of sessions that were killed before their teardown (a timeout, a
    kill -9), and remove their folders; never another live session's."""
    for root in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        try:
            owner = int((root / OWNER).read_text())
        except (OSError, ValueError):
            continue
        if not _alive(owner):
            with suppress(subprocess.CalledProcessError):
                Server(root, programs).stop()
            shutil.rmtree(root, ignore_errors=True)


@contextmanager
def server() -> Iterator[Server]:
    programs = bin_dir()
    assert programs is not None
    stop_orphans(programs)
    # Not below pytest's own temporary folder, which only its user may enter.
    root = Path(tempfile.mkdtemp(prefix=PREFIX))
    (root / OWNER).write_text(str(os.getpid()))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    running = Server(root, programs)
    try:
        running.start()
        yield running
    finally:
        try:
            running.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)
