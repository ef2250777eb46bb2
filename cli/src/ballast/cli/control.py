"""`ballast control pause|resume|approve ID|silence|ack KEY`: an operator command through the
gateway's `POST /api/v1/control/{verb}`.

The gateway stamps the command with the token's name as `issued_by`; the intervention service
applies pause, resume and approve only when that name is in its `OPERATOR_IDENTITIES`. The token
comes from `BALLAST_TOKEN` (or, for the local stack of `ballast up`, its `.ballast/gateway/token`)
and is never printed.

With `--keystore FILE` (and `--password-file FILE`, else a prompt) the command is built here, with
its own command_id and issued_at, and signed with the keystore's key (EIP-712, ballast.common.
operators): a service whose `OPERATOR_IDENTITIES` lists that key's address obeys it, and nothing
else on its behalf. Neither the key nor the password is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

TOKEN_ENV = "BALLAST_TOKEN"  # noqa: S105 - the variable's name, not a token
URL_ENV = "BALLAST_GATEWAY_URL"
TIMEOUT_SECONDS = 10.0


def add_parser(sub: Any) -> None:
    control = sub.add_parser(
        "control", help="send an operator command (pause, resume, approve, silence, ack) "
        f"through the gateway, with the operator token in ${TOKEN_ENV}")
    control.add_argument("--gateway-url", help=f"default: ${URL_ENV}, else the running stack's "
                         "gateway, else http://127.0.0.1:<the gateway's API port>")
    verbs = control.add_subparsers(dest="verb", required=True, metavar="VERB")

    def verb(name: str, help_text: str) -> argparse.ArgumentParser:
        p = verbs.add_parser(name, help=help_text)
        p.add_argument("--reason", default="", help="why (kept with the command)")
        p.add_argument("--keystore", type=Path, help="sign the command with this encrypted "
                       "keystore's key (services configured with its address obey only that)")
        p.add_argument("--password-file", type=Path,
                       help="the keystore's password (default: asked at the terminal)")
        return p

    for name, text in (("pause", "stop interventions"), ("resume", "resume interventions")):
        verb(name, text).add_argument("--target", help="a service or strategy (optional)")
    approve = verb("approve", "approve a decision waiting for an operator")
    approve.add_argument("decision_id", help="the id of the decision to approve")
    approve.add_argument("--target", help="e.g. oracle")
    approve.add_argument("--match", action="append", default=[], metavar="LABEL=VALUE")
    silence = verb("silence", "silence alerts matching labels, for a while")
    silence.add_argument("--match", action="append", default=[], metavar="LABEL=VALUE",
                         help="repeatable: every label must match")
    silence.add_argument("--target", help="an alert key instead of (or beside) --match")
    silence.add_argument("--for", dest="duration", type=_duration, metavar="DURATION",
                         help="30m, 2h, 1d (default: the gateway's, 2h; at most 7d)")
    verb("ack", "acknowledge an alert by its key").add_argument("target", metavar="KEY")


def _duration(text: str) -> int:
    from ballast.gateway.domain.series import QueryError, parse_duration  # noqa: PLC0415

    try:
        return int(parse_duration(text).total_seconds())
    except QueryError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _matchers(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        label, sep, value = pair.partition("=")
        if not sep or not label.strip():
            raise ValueError(f"--match {pair!r}: LABEL=VALUE, e.g. rule=oracle_deviation")
        out[label.strip()] = value.strip()
    return out


def body_of(args: argparse.Namespace) -> dict[str, Any]:
    """The JSON the gateway takes, from the parsed arguments (ValueError on a bad --match)."""
    body: dict[str, Any] = {"reason": args.reason}
    for key, attr in (("target", "target"), ("decision_id", "decision_id"),
                      ("duration_seconds", "duration")):
        if getattr(args, attr, None) is not None:
            body[key] = getattr(args, attr)
    if getattr(args, "match", None):
        body["matchers"] = _matchers(args.match)
    return body


def signed_body(args: argparse.Namespace, body: dict[str, Any]) -> dict[str, Any]:
    """`body` with the command's own command_id and issued_at, and the keystore key's signature
    (KeystoreError, or the gateway's ControlError for a command it would refuse)."""
    import uuid  # noqa: PLC0415

    from eth_account import Account  # noqa: PLC0415

    from ballast.cli.safe import load_key  # noqa: PLC0415
    from ballast.common.messages import utcnow  # noqa: PLC0415
    from ballast.common.operators import sign  # noqa: PLC0415
    from ballast.gateway.domain.control import ControlRequest, build_command  # noqa: PLC0415

    key = load_key(args.keystore, args.password_file)
    now = utcnow().replace(microsecond=0)  # a signed command's times are whole seconds
    request = ControlRequest(
        body.get("target"), body.get("decision_id"), body.get("matchers", {}),
        body.get("duration_seconds"), body["reason"], command_id=str(uuid.uuid4()),
        issued_at=now, signer=Account.from_key(key).address)
    cmd = sign(build_command(args.verb, request, "-", now), key)
    return {**body, **cmd.model_dump(mode="json", include={"command_id", "issued_at", "signer",
                                                           "signature"})}


def gateway_url(explicit: str | None, data_dir: Path) -> tuple[str, bool]:
    """The gateway's base URL, and whether it is the local stack's (whose token file we may use)."""
    from ballast.cli import local_gateway  # noqa: PLC0415
    from ballast.cli.registry import SERVICES  # noqa: PLC0415

    chosen = explicit or os.environ.get(URL_ENV)
    if chosen:
        return chosen.rstrip("/"), False
    local = local_gateway.url(data_dir)
    if local:
        return local, True
    port = next(s.api_port for s in SERVICES if s.name == "gateway")
    return f"http://127.0.0.1:{port}", False


def operator_token(local: bool, data_dir: Path) -> str | None:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token and local and (data_dir / "gateway" / "token").exists():
        token = (data_dir / "gateway" / "token").read_text().strip()
    return token or None


def _reason(err: urllib.error.HTTPError) -> str:
    text = err.read().decode(errors="replace")
    try:
        detail = json.loads(text).get("detail", text)
    except (ValueError, AttributeError):
        detail = text
    if isinstance(detail, list):  # FastAPI's validation errors
        detail = "; ".join(f"{'.'.join(map(str, d.get('loc', ())))}: {d.get('msg')}"
                           for d in detail if isinstance(d, dict))
    retry = err.headers.get("Retry-After") if err.headers else None
    return f"{detail} (retry after {retry} s)" if retry else str(detail)


def send(base: str, token: str, verb: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST the command; (0, the gateway's answer) or (1, {"error": what to tell the operator})."""
    url = f"{base}/api/v1/control/{verb}"
    if not url.startswith(("http://", "https://")):
        return 1, {"error": f"gateway URL {base!r}: http:// or https://"}
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as resp:  # noqa: S310
            return 0, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return 1, {"error": f"the gateway refused {verb} ({err.code}): {_reason(err)}"}
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        return 1, {"error": f"cannot reach the gateway at {base}: {reason}"}


def run(args: argparse.Namespace, data_dir: Path) -> int:
    try:
        body = body_of(args)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    if args.keystore is not None:
        from ballast.cli.safe import KeystoreError  # noqa: PLC0415
        from ballast.gateway.domain.control import ControlError  # noqa: PLC0415

        try:
            body = signed_body(args, body)
        except (KeystoreError, ControlError) as err:
            print(f"refused: {err}", file=sys.stderr)
            return 1
    base, local = gateway_url(args.gateway_url, data_dir)
    token = operator_token(local, data_dir)
    if token is None:
        print(f"no operator token: set {TOKEN_ENV} (a token of role operator from the gateway's "
              "tokens file; `ballast-gateway-token NAME operator` makes one)", file=sys.stderr)
        return 2
    code, answer = send(base, token, args.verb, body)
    if code:
        print(answer["error"], file=sys.stderr)
        return code
    cmd = answer.get("command", {})
    signer = f", signed by {cmd['signer']}" if cmd.get("signer") else ""
    print(f"{cmd.get('command')} sent: command {cmd.get('command_id')} issued by "
          f"{cmd.get('issued_by')}{signer}, on stream {answer.get('stream')} seq "
          f"{answer.get('seq')}")
    details = {k: cmd[k] for k in ("target", "decision_id", "matchers", "expires_at") if cmd.get(k)}
    if details:
        print("  " + json.dumps(details))
    return 0
