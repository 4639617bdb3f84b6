"""The cache does not grow without bound: a daily sweep drops unused tool versions and long-unread entries."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import write_repo

from auditor.cache import ParseCache
from auditor.discover import SourceFile, discover
from auditor.scan import parse_file

DAY = 24 * 3600
COMPOSE = "services:\n  api:\n    image: registry.example.com/api:1.0.0\n"


def _file(path: Path, days_ago: float, now: float, text: str = "{}") -> Path:
    """`path` written with `text`, last read and written `days_ago` days before `now`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (now - days_ago * DAY, now - days_ago * DAY))
    return path


def _filled(tmp_path: Path) -> tuple[ParseCache, SourceFile, Path, float]:
    """A cache holding the facts of one file, that file, its entry, and a moment just after it was written."""
    repo = write_repo(tmp_path / "repo", {"docker-compose.yml": COMPOSE})
    cache = ParseCache(tmp_path / "cache")
    source = discover(repo).files[0]
    cache.parse(source, parse_file)
    [entry] = cache.directory.glob("*/*.json")
    return cache, source, entry, os.stat(entry).st_mtime + 60


def test_another_versions_folder_goes_after_two_weeks_unused(tmp_path: Path) -> None:
    cache, _, _, now = _filled(tmp_path)
    root = cache.directory.parent
    old, recent, other = root / "0123456789abcdef", root / "fedcba9876543210", root / "notes"
    _file(old / "used", 15, now)
    _file(old / "ab" / "entry.json", 15, now)
    _file(recent / "used", 3, now)
    _file(recent / "ab" / "entry.json", 30, now)
    _file(other / "ab" / "entry.json", 400, now)  # not a version's folder: not ours to remove
    cache.sweep(now)
    assert not old.exists() and recent.exists() and other.exists() and cache.directory.exists()


def test_an_entry_unread_for_a_month_goes_and_one_read_lately_stays(tmp_path: Path) -> None:
    cache, source, entry, now = _filled(tmp_path)
    unread = _file(entry.with_name("0" * 64 + ".json"), 31, now)
    derived = _file(cache.directory / "rendered" / "ab" / ("1" * 64 + ".json"), 31, now)
    leftover = _file(entry.with_name("tmpabc123"), 31, now, "partial")  # a write that never finished
    cache.sweep(now)
    assert entry.exists() and not unread.exists() and not derived.exists() and not leftover.exists()
    assert cache.lookup(source) is not None


def test_the_sweep_runs_at_most_once_a_day(tmp_path: Path) -> None:
    cache, _, entry, now = _filled(tmp_path)
    cache.sweep(now)
    os.utime(entry, (now - 40 * DAY, now - 40 * DAY))
    cache.sweep(now + DAY / 2)
    assert entry.exists()  # swept half a day ago: not yet
    cache.sweep(now + DAY + 1)
    assert not entry.exists()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_the_sweep_follows_no_link(tmp_path: Path) -> None:
    cache, _, _, now = _filled(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    precious = _file(elsewhere / "ab" / "precious.json", 400, now)
    os.utime(elsewhere, (now - 400 * DAY, now - 400 * DAY))
    os.symlink(elsewhere, cache.directory.parent / "0123456789abcdef")  # a version's folder that is a link
    os.symlink(elsewhere, cache.directory / "cd")  # an entry folder that is a link
    os.symlink(precious, cache.directory / "ab.json")  # an entry that is a link
    cache.sweep(now)
    assert precious.exists()
