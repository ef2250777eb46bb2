from __future__ import annotations

import ssl

from ballast.common.tlsfailure import server_of, tls_failure


def test_server_of__url_with_user_and_password__only_scheme_host_port() -> None:
    assert server_of("postgresql://svc:hunter2@db:5432/ballast?sslmode=verify-full") == (
        "postgresql://db:5432"
    )
    assert server_of("tls://a:4222,tls://b:4222") == "tls://a:4222"


def test_tls_failure__unverified_certificate__names_server_reason_and_setting() -> None:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "unable to get local issuer certificate"
    line = tls_failure(error, "tls://nats:4222", "NATS_TLS_CA_FILE")
    assert line == (
        "TLS to tls://nats:4222 refused: the server's certificate is not trusted "
        "(unable to get local issuer certificate); NATS_TLS_CA_FILE must name the "
        "CA that signed it"
    )


def test_tls_failure__not_a_tls_error__none() -> None:
    assert tls_failure(ConnectionRefusedError(111, "refused"), "tls://nats:4222", "x") is None
