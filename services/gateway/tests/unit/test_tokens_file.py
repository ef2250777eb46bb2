from __future__ import annotations

import json
from pathlib import Path

import pytest

from ballast.gateway.adapters.tokens import load_tokens, new_token
from ballast.gateway.domain.access import Role


def test_load_tokens__written_entry__authenticates_its_token(tmp_path: Path) -> None:
    token, entry = new_token("alice", Role.OPERATOR)
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps([entry]))
    assert token not in path.read_text()
    principal = load_tokens(path).authenticate(token)
    assert principal is not None and (principal.name, principal.role) == ("alice", Role.OPERATOR)
    assert load_tokens(None).authenticate(token) is None  # no file: no tokens, no data


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{", "tokens file"),
        ('{"name": "a"}', "a JSON list"),
        ('[{"name": "a", "role": "admin", "hash": "sha256:' + "0" * 64 + '"}]', "entry 0"),
        ('[{"name": "a", "role": "viewer", "hash": "plain-token"}]', "never the token"),
    ],
)
def test_load_tokens__bad_file__one_clear_error_without_secrets(
    tmp_path: Path, content: str, says: str
) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=says) as err:
        load_tokens(path)
    assert "plain-token" not in str(err.value)
