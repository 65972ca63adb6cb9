"""Mistakes in a file, a setting or the database end the CLI with a sentence and exit code 2,
not a traceback, and without echoing the values (a URL or setting may hold a password)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.config import get_settings


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()  # each test sets its own environment ...
    yield
    get_settings.cache_clear()  # ... and leaves no settings built from it behind


def test_a_missing_or_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(tmp_path / "nope.json")]) == 2
    assert main(["evaluate", str(tmp_path)]) == 2
    assert main(["openapi", "--output", str(tmp_path / "no" / "such" / "dir.json")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "cannot use" in err


def test_an_invalid_setting_is_named_not_echoed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KRATOM_CDS_LOG_LEVEL", "loud-secret")
    assert main(["list-clients"]) == 2
    err = capsys.readouterr().err
    assert "KRATOM_CDS_LOG_LEVEL" in err
    assert "loud-secret" not in err


def test_a_database_that_was_never_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KRATOM_CDS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    assert main(["list-clients"]) == 2
    err = capsys.readouterr().err
    assert "kratom-cds migrate" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("tenant", "name"),
    [("", "epic"), ("t1", ""), ("t1", "x" * 101), ("t1", "tab\there"),
     ("system", "epic")],
)  # fmt: skip
def test_create_client_refuses_names_that_break_listings_or_the_audit_chains(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tenant: str,
    name: str,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("KRATOM_CDS_DATABASE_URL", url)
    assert main(["migrate"]) == 0
    with pytest.raises(SystemExit) as refused:
        main(["create-client", "--tenant", tenant, "--name", name])
    assert refused.value.code == 2
    assert "kcds_" not in capsys.readouterr().out  # no key was issued


def test_public_base_url_needs_a_scheme() -> None:
    from pydantic import ValidationError

    from app.cdshooks.config import CdsSettings

    with pytest.raises(ValidationError):
        CdsSettings(public_base_url="cds.example.org/")
    assert CdsSettings(public_base_url="https://cds.example.org").public_base_url


def test_a_misspelt_setting_is_found() -> None:
    from app.config import unknown_variables

    environ = {
        "KRATOM_CDS_DATABASE_URL": "sqlite:///x.db",
        "KRATOM_CDS_PUBLIC_BASE_URL": "https://cds.example.org",  # an EHR-integration setting
        "KRATOM_CDS_TEST_DATABASE_URL": "postgresql+asyncpg://db/test",  # tooling
        "KRATOM_CDS_DATABSE_URL": "sqlite:///typo.db",
        "PATH": "/usr/bin",
    }
    assert unknown_variables(environ) == ["KRATOM_CDS_DATABSE_URL"]
