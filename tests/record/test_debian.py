"""A Debian package corpus: a download that fails while apt's lists are rewritten is tried
again (after refreshing the lists once, where we may), then unpacked and its version read.

apt itself is not mocked: the downloader is pointed at small real programs standing in
for `apt-get download` (failing like it does, then copying a real .deb built here with
dpkg-deb) and for `apt-get update`.
"""

from __future__ import annotations

import gzip
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from n2g.errors import N2GError
from n2g.record.debian import download_package, package_version, unpack_debian_package

PACKAGE, VERSION = "n2g-test-corpus", "1.0-2+deb12u9"
AUTH = "E: Some packages could not be authenticated"

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb")


@pytest.fixture(scope="module")
def deb(tmp_path_factory) -> Path:
    """A real, tiny .deb: one text file and its Debian changelog."""
    root = tmp_path_factory.mktemp("package")
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN/control").write_text(
        f"Package: {PACKAGE}\nVersion: {VERSION}\nArchitecture: all\n"
        "Maintainer: n2g <n2g@example.org>\nDescription: a test corpus\n"
    )
    docs = root / "usr/share/doc" / PACKAGE
    docs.mkdir(parents=True)
    (docs / "text.txt").write_text("Some prose to read.\n")
    with gzip.open(docs / "changelog.Debian.gz", "wt") as changelog:
        changelog.write(f"{PACKAGE} ({VERSION}) bookworm-security; urgency=medium\n\n  * Fix.\n")
    built = tmp_path_factory.mktemp("built") / f"{PACKAGE}_{VERSION}_all.deb"
    subprocess.run(["dpkg-deb", "--build", str(root), str(built)], check=True, capture_output=True)
    return built


def _program(path: Path, body: str) -> list[str]:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return [str(path)]


def flaky_download(tmp_path: Path, deb: Path, failures: int, until: Path | None = None):
    """`apt-get download` as it behaves while the lists are rewritten: it fails
    `failures` times (or until the file `until` exists), then downloads the package."""
    tries = tmp_path / "tries"
    wait = f'[ -e "{until}" ] || {{ echo "{AUTH}" >&2; exit 100; }}' if until else ""
    body = f"""echo x >> "{tries}"
[ "$(wc -l < "{tries}")" -le {failures} ] && {{ echo "{AUTH}" >&2; exit 100; }}
{wait}
[ "$1" = "{PACKAGE}" ] || {{ echo "E: Unable to locate package $1" >&2; exit 100; }}
cp "{deb}" ."""
    return _program(tmp_path / "download", body), tries


def test_a_download_failing_while_the_lists_are_rewritten_is_tried_again(tmp_path, deb):
    download, tries = flaky_download(tmp_path, deb, failures=2)
    target = tmp_path / "cache" / PACKAGE
    unpack_debian_package(PACKAGE, target, download=download, refresh=False, pause_s=0)
    assert len(tries.read_text().splitlines()) == 3
    assert (target / "usr/share/doc" / PACKAGE / "text.txt").read_text() == "Some prose to read.\n"
    assert package_version(target, PACKAGE) == VERSION
    assert [p.name for p in target.parent.iterdir()] == [PACKAGE]  # no work folder left


def test_the_lists_are_refreshed_once_after_the_first_failure(tmp_path, deb):
    refreshed = tmp_path / "refreshed"
    download, tries = flaky_download(tmp_path, deb, failures=0, until=refreshed)
    refresh = _program(tmp_path / "update", f'echo x >> "{refreshed}"')
    work = tmp_path / "work"
    work.mkdir()
    got = download_package(PACKAGE, work, download=download, refresh=refresh, pause_s=0)
    assert got.name == deb.name
    assert len(tries.read_text().splitlines()) == 2  # failed, refreshed, downloaded
    assert len(refreshed.read_text().splitlines()) == 1


def test_when_every_try_fails_the_one_line_error_says_what_to_run(tmp_path, deb):
    download, tries = flaky_download(tmp_path, deb, failures=99)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(N2GError) as caught:
        refreshed = _program(tmp_path / "update", "true")
        download_package(PACKAGE, work, download=download, refresh=refreshed, pause_s=0.01)
    message = str(caught.value)
    assert "\n" not in message and len(tries.read_text().splitlines()) == 4
    assert message.startswith(f"no apt access for the corpus: {AUTH} (4 tries")
    assert "the lists refreshed); wait a minute and run the same command again" in message
    failing = _program(tmp_path / "update", "exit 1")  # lists we cannot refresh
    for refresh in (failing, False):
        with pytest.raises(N2GError, match="; run `sudo apt-get update` and the same command"):
            download_package(PACKAGE, work, download=download, refresh=refresh, pause_s=0)


def test_an_unknown_package_and_a_missing_tool_are_one_line(tmp_path, deb):
    download, _ = flaky_download(tmp_path, deb, failures=0)
    with pytest.raises(N2GError, match="Unable to locate package nothing-such"):
        unpack_debian_package(
            "nothing-such", tmp_path / "t", download=download, refresh=False, pause_s=0
        )
    with pytest.raises(N2GError, match="no-such-apt not found"):
        unpack_debian_package(PACKAGE, tmp_path / "t", download=[str(tmp_path / "no-such-apt")])


def test_the_version_of_a_native_package_and_of_none(tmp_path):
    docs = tmp_path / "usr/share/doc/debian-handbook"
    assert package_version(tmp_path, "debian-handbook") is None
    docs.mkdir(parents=True)
    with gzip.open(docs / "changelog.gz", "wt") as changelog:
        changelog.write("debian-handbook (11.20220922) unstable; urgency=medium\n")
    assert package_version(tmp_path, "debian-handbook") == "11.20220922"
