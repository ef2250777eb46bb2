"""Settings every service shares, read from the environment with one prefix per service.

A secret (SecretStr field) can also come from a file: `<PREFIX><KEY>_FILE=/path` (Kubernetes
secret mounts). A bad or missing setting stops the service at start with ONE line that names the
environment key and the reason (`load_settings`).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import Field, FilePath, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

S = TypeVar("S", bound="ServiceSettings")


class ServiceSettings(BaseSettings):
    """Base for every service's settings. Subclasses set `model_config["env_prefix"]` (the rest of
    the config, `extra="ignore"` and `frozen`, they inherit)."""

    model_config = SettingsConfigDict(env_prefix="BALLAST_", extra="ignore", frozen=True)
    service_name: ClassVar[str] = "service"

    nats_url: str = Field(default="nats://127.0.0.1:4222", pattern=r"^(nats|tls|ws|wss)://")
    nats_credentials_file: Path | None = None
    nats_user: str | None = None
    nats_password: SecretStr | None = None  # or <PREFIX>NATS_PASSWORD_FILE (ballast up does so)
    nats_tls_ca_file: FilePath | None = None  # a private CA for a tls:// URL (else the system's)
    bus_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9_\-]*$")
    database_url: SecretStr
    otlp_endpoint: str | None = Field(default=None, description="OTLP/HTTP traces endpoint")
    http_host: str = "0.0.0.0"  # noqa: S104 - a pod must be reachable for probes and scrapes
    http_port: int = Field(default=8000, ge=0, le=65535)
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")
    heartbeat_interval_seconds: float = Field(default=10.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_files(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        prefix = str(cls.model_config.get("env_prefix", ""))
        values: dict[str, Any] = dict(data)  # type: ignore[arg-type]
        for name, info in cls.model_fields.items():
            if "SecretStr" not in str(info.annotation):
                continue
            file_var = f"{prefix}{name}_FILE".upper()
            path = os.environ.get(file_var)
            if path and name not in values:
                try:
                    values[name] = Path(path).read_text().strip()
                except OSError as err:
                    raise ValueError(f"{file_var}: cannot read {path}: {err.strerror}") from None
        return values


def from_json_file(
    data: Any, file_key: str, key: str, pick: Callable[[Any], Any] = lambda loaded: loaded
) -> Any:
    """The body of a `mode="before"` validator: when `key` is not given and `file_key` names a
    JSON file, `key` is `pick(the file's JSON)`. An unreadable file or bad JSON stops the
    service naming `file_key` and the path."""
    if not isinstance(data, dict):
        return data
    values: dict[str, Any] = dict(data)  # type: ignore[arg-type]
    path = values.get(file_key)
    if path and not values.get(key):
        try:
            loaded = json.loads(Path(path).read_text())
        except (OSError, ValueError) as err:
            raise ValueError(f"{file_key} {path}: {err}") from None
        values[key] = pick(loaded)
    return values


def describe_error(cls: type[ServiceSettings], err: ValidationError) -> str:
    """One line: each failing environment key and why."""
    prefix = str(cls.model_config.get("env_prefix", "")).upper()
    parts: list[str] = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"])
        key = f"{prefix}{loc.upper()}" if loc else prefix + "*"
        reason = "is required but not set" if e["type"] == "missing" else e["msg"]
        parts.append(f"{key} {reason}")
    return "configuration error: " + "; ".join(parts)


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Build settings or exit(2) with one line on stderr naming the key and the reason."""
    try:
        return cls(**overrides)
    except ValidationError as err:
        print(describe_error(cls, err), file=sys.stderr)
        raise SystemExit(2) from None
    except ValueError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
