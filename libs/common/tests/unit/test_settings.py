from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from pydantic_settings import SettingsConfigDict

from ballast.common.settings import ServiceSettings, from_json_file, load_settings


class ProbeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BALLAST_PROBE_", extra="ignore", frozen=True)
    service_name: ClassVar[str] = "probe"


def test_load_settings__missing_database_url__one_line_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("BALLAST_PROBE_DATABASE_URL", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        load_settings(ProbeSettings)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1
    assert "BALLAST_PROBE_DATABASE_URL is required but not set" in err


def test_load_settings__bad_value__names_key_and_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BALLAST_PROBE_DATABASE_URL", "postgresql://x")
    monkeypatch.setenv("BALLAST_PROBE_HTTP_PORT", "99999")
    with pytest.raises(SystemExit):
        load_settings(ProbeSettings)
    err = capsys.readouterr().err
    assert "BALLAST_PROBE_HTTP_PORT" in err and "65535" in err


def test_settings__secret_from_file__read_and_never_shown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "dsn"
    secret.write_text("postgresql://user:hunter2@db/ballast\n")
    monkeypatch.delenv("BALLAST_PROBE_DATABASE_URL", raising=False)
    monkeypatch.setenv("BALLAST_PROBE_DATABASE_URL_FILE", str(secret))
    settings = ProbeSettings()  # pyright: ignore[reportCallIssue]
    assert settings.database_url.get_secret_value() == "postgresql://user:hunter2@db/ballast"
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.model_dump())


def test_settings__secret_file_unreadable__one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("BALLAST_PROBE_DATABASE_URL", raising=False)
    monkeypatch.setenv("BALLAST_PROBE_DATABASE_URL_FILE", str(tmp_path / "missing"))
    with pytest.raises(SystemExit):
        load_settings(ProbeSettings)
    err = capsys.readouterr().err
    assert "BALLAST_PROBE_DATABASE_URL_FILE" in err and err.count("\n") == 1


def test_from_json_file__key_missing__read_from_the_file_else_kept(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"symbols": {"PSTR": 1}}')
    got = from_json_file({"config_file": path}, "config_file", "symbols", lambda d: d["symbols"])
    assert got["symbols"] == {"PSTR": 1}
    given = {"config_file": path, "symbols": {"X": 2}}
    assert from_json_file(given, "config_file", "symbols") == given
    assert from_json_file("not a mapping", "config_file", "symbols") == "not a mapping"


def test_from_json_file__bad_json__error_names_the_key_and_path(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text("{nope")
    with pytest.raises(ValueError, match=f"config_file {path}"):
        from_json_file({"config_file": str(path)}, "config_file", "symbols")


def test_settings__nats_password_from_file__in_the_bus_config_never_shown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ballast.common.bus import BusConfig  # noqa: PLC0415

    secret = tmp_path / "oracle.nats-password"
    secret.write_text("s3cret-nats\n")
    monkeypatch.setenv("BALLAST_PROBE_DATABASE_URL", "postgresql://x@db/ballast")
    monkeypatch.setenv("BALLAST_PROBE_NATS_USER", "oracle")
    monkeypatch.setenv("BALLAST_PROBE_NATS_PASSWORD_FILE", str(secret))
    settings = ProbeSettings()  # pyright: ignore[reportCallIssue]
    assert settings.nats_user == "oracle" and settings.nats_password is not None
    assert settings.nats_password.get_secret_value() == "s3cret-nats"
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.model_dump())
    config = BusConfig("oracle", "nats://x", user="oracle", password="s3cret-nats")
    assert "s3cret" not in repr(config)


def test_load_settings__nats_tls_ca_file_missing__one_line_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("BALLAST_PROBE_DATABASE_URL", "postgresql://x")
    monkeypatch.setenv("BALLAST_PROBE_NATS_URL", "tls://nats:4222")
    monkeypatch.setenv("BALLAST_PROBE_NATS_TLS_CA_FILE", str(tmp_path / "no-such-ca.pem"))
    with pytest.raises(SystemExit):
        load_settings(ProbeSettings)
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "BALLAST_PROBE_NATS_TLS_CA_FILE" in err and "not point to a file" in err
