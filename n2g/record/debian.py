"""Debian packages as corpora: downloaded with apt, unpacked without installing, versioned.

The main job's default corpus is the text of a Debian package (`python3.11-doc`), fetched
with `apt-get download` and unpacked with `dpkg-deb -x` into the cache: no root needed.

Why the download retries: apt's package lists are shared by every process on the machine,
and while another one rewrites them (an `apt-get update`, unattended upgrades) a download
fails ("E: Some packages could not be authenticated"); the same command a minute later
works. So a failed download is tried again after a short, growing pause, and when we may
(root, or sudo that asks no password: `sudo -n`), the lists are refreshed once after the
first failure, as stale or missing lists are the other common cause. Nothing here waits
for a password or hangs: every command runs under a timeout. When every try fails, the
one-line error says what to run.

Why the version is read from the unpacked tree: the package's version decides the corpus
(a security update changes the text, and with it some report cells by 0.01), so the
records and the report name it. Every Debian binary package carries its changelog as
`usr/share/doc/<package>/changelog.Debian.gz` (`changelog.gz` for a native package, such
as debian-handbook), whose first line names the version; reading it there also gives the
version of a corpus unpacked by an older n2g, which kept no note.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from n2g.errors import N2GError

APT_DOWNLOAD = ("apt-get", "download")
DOWNLOAD_TRIES = 4
FIRST_PAUSE_S = 5.0  # doubled after each failed try: 5 + 10 + 20 s at most in all
COMMAND_TIMEOUT_S = 300  # one download or one refresh of the lists
_NO_ACCESS = "no apt access for the corpus"


def refresh_command() -> list[str] | None:
    """The command that refreshes apt's lists when this process may run it without a
    password (root, or `sudo -n`); None otherwise."""
    if shutil.which("apt-get") is None:
        return None
    if os.geteuid() == 0:
        return ["apt-get", "update", "-qq"]
    if shutil.which("sudo") is None:
        return None
    try:
        asked = subprocess.run(["sudo", "-n", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return ["sudo", "-n", "apt-get", "update", "-qq"] if asked.returncode == 0 else None


def _run(command: Sequence[str], cwd: Path) -> tuple[bool, str]:
    """Run one command under the timeout: (succeeded, the last line it wrote to stderr)."""
    try:
        done = subprocess.run(
            list(command), cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        return False, f"{command[0]} took more than {COMMAND_TIMEOUT_S} s"
    except OSError as exc:
        return False, f"{command[0]}: {exc.strerror or exc}"
    lines = done.stderr.strip().splitlines()
    return done.returncode == 0, (lines[-1] if lines else f"{command[0]} exited {done.returncode}")


def download_package(
    package: str,
    folder: Path,
    *,
    download: Sequence[str] = APT_DOWNLOAD,
    refresh: Sequence[str] | bool = True,
    tries: int = DOWNLOAD_TRIES,
    pause_s: float = FIRST_PAUSE_S,
) -> Path:
    """The package's .deb, downloaded into `folder` by `download + [package]`, tried up to
    `tries` times with pauses of `pause_s`, doubling; `refresh` (True: `refresh_command()`,
    False: never, or a command) is run once after the first failure. N2GError (one line,
    saying what to run) when every try fails."""
    refresh_with: list[str] | None = None
    why, refreshed, waited = "", False, 0.0
    for attempt in range(tries):
        if attempt == 1 and refresh is not False:  # asked only once a try has failed
            refresh_with = refresh_command() if refresh is True else list(refresh)
        if attempt:
            if attempt == 1 and refresh_with:
                refreshed, _ = _run(refresh_with, folder)
            else:
                time.sleep(pause_s * 2 ** (attempt - 1))
                waited += pause_s * 2 ** (attempt - 1)
        done, why = _run([*download, package], folder)
        debs = sorted(folder.glob("*.deb"))
        if done and debs:
            return debs[0]
        if done:
            why = f"{download[0]} wrote no .deb"
    if refreshed:
        todo = "wait a minute and run the same command again"
    else:
        todo = "run `sudo apt-get update` and the same command again"
    listed = ", the lists refreshed" if refreshed else ""
    raise N2GError(
        f"{_NO_ACCESS}: {why} ({tries} tries over {waited:.0f} s{listed}); {todo}, "
        "or give --corpus stdlib or a text folder"
    )


def unpack_debian_package(
    package: str,
    target: Path,
    *,
    download: Sequence[str] = APT_DOWNLOAD,
    refresh: Sequence[str] | bool = True,
    pause_s: float = FIRST_PAUSE_S,
) -> None:
    """Download the package (retried, `download_package`'s arguments) and `dpkg-deb -x` it
    into a temp folder, then rename that into place as `target`."""
    for tool in (download[0], "dpkg-deb"):
        if shutil.which(tool) is None:
            raise N2GError(f"{_NO_ACCESS}: {tool} not found (Debian/Ubuntu only)")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{package}.", dir=target.parent))
    try:
        deb = download_package(package, work, download=download, refresh=refresh, pause_s=pause_s)
        unpacked = work / "root"
        done = subprocess.run(
            ["dpkg-deb", "-x", str(deb), str(unpacked)],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
        )
        if done.returncode != 0:
            raise N2GError(f"cannot unpack {deb.name}: {done.stderr.strip()[:200]}")
        if target.exists():
            shutil.rmtree(target)
        unpacked.rename(target)
    except subprocess.TimeoutExpired:
        raise N2GError(f"cannot unpack {package}: dpkg-deb took too long") from None
    except OSError as exc:
        raise N2GError(f"cannot unpack the corpus into {target}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


_CHANGELOG_HEAD = re.compile(r"^\S+ \(([^)\s]+)\)")


def package_version(root: Path, package: str) -> str | None:
    """The version of `package` unpacked under `root`, from the first line of its Debian
    changelog ("python3.11 (3.11.2-6+deb12u8) bookworm; ..."); None when unreadable."""
    for name in ("changelog.Debian.gz", "changelog.gz"):
        path = root / "usr/share/doc" / package / name
        try:
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as text:
                first = text.readline()
        except (OSError, EOFError):
            continue
        found = _CHANGELOG_HEAD.match(first)
        if found:
            return found.group(1)
    return None
