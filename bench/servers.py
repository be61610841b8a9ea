"""Run a WSGI app in one gunicorn process (gevent worker) on 127.0.0.1, and see its CPU."""

from __future__ import annotations

import os

from tests.support import servers
from tests.support.servers import LOG_DIR

__all__ = ["LOG_DIR", "Gunicorn"]


class Gunicorn(servers.Gunicorn):
    """One ``gunicorn -k gevent -w 1`` process serving ``target``, logging to ``LOG_DIR``."""

    def __init__(self, target: str, env: dict[str, str], log_name: str,
                 args: tuple[str, ...] = ()):
        super().__init__(target, env, LOG_DIR / log_name, args)  # args: e.g. --worker-connections

    def cpu_seconds(self) -> float:
        """Return the CPU time the master and its worker have used so far (Linux /proc)."""
        if self.proc is None:
            return 0.0
        pids = [self.proc.pid, *_children(self.proc.pid)]
        return sum(_cpu_seconds(pid) for pid in pids)


def _stat_fields(pid: int) -> list[str]:
    """Return the fields of /proc/<pid>/stat after ``pid (comm)``; empty if gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _children(pid: int) -> list[int]:
    """Return the pids whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields and int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _cpu_seconds(pid: int) -> float:
    """Return user + system CPU seconds of ``pid``."""
    fields = _stat_fields(pid)
    if not fields:
        return 0.0
    # stat field 14 is utime, 15 stime; the list starts at field 3
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
