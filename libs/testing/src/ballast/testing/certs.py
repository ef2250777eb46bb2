"""Throwaway TLS material for tests: a private CA and a server certificate it signed.

Made with the `openssl` command line (the venv has no `cryptography`): an EC P-256 CA, and a
server certificate for 127.0.0.1 and localhost (subjectAltName, so a client that checks the
host name accepts it) with the extensions a strict verifier expects (CA:FALSE, serverAuth, the
authority key identifier). Each call makes a new CA, so two calls give two CAs that do not
trust each other's certificates: the "wrong CA" of a test.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

DAYS = "2"
SERVER_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


@dataclass(frozen=True)
class ServerCerts:
    """PEM files: the CA's certificate (what a client trusts), the server's certificate and its
    private key (what the server presents)."""

    ca: Path
    cert: Path
    key: Path


def _openssl(*args: str, cwd: Path) -> None:
    binary = shutil.which("openssl")
    if binary is None:
        raise FileNotFoundError(
            "openssl not found: the TLS tests make their certificates with it"
            " (apt-get install openssl)"
        )
    done = subprocess.run(  # noqa: S603 - openssl with arguments from this module, no shell
        [binary, *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {done.stderr.strip()}")


NEW_P256_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
"""A new P-256 key, unencrypted, for each certificate request."""


def make_ca(directory: Path, name: str = "ca") -> tuple[Path, Path]:
    """A self-signed CA in `directory`: (`<name>.pem`, `<name>.key`)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    _openssl(
        "req",
        "-x509",
        "-new",
        *NEW_P256_KEY,
        "-keyout",
        key.name,
        "-out",
        cert.name,
        "-days",
        DAYS,
        "-subj",
        f"/CN=Ballast test {name}",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )
    return cert, key


def make_server_certs(directory: Path) -> ServerCerts:
    """A new CA and a server certificate for 127.0.0.1/localhost it signed, in `directory`."""
    ca_cert, ca_key = make_ca(directory)
    (directory / "server.ext").write_text(SERVER_EXTENSIONS)
    _openssl(
        "req",
        "-new",
        *NEW_P256_KEY,
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
        cwd=directory,
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        ca_cert.name,
        "-CAkey",
        ca_key.name,
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        DAYS,
        "-extfile",
        "server.ext",
        cwd=directory,
    )
    return ServerCerts(ca=ca_cert, cert=directory / "server.pem", key=directory / "server.key")
