"""Committed files that a generator writes (docs/asyncapi.yaml, deploy/k8s/base, ...): the
tests check that the committed text is what the generator renders now."""

from __future__ import annotations

from pathlib import Path

from ballast.common.evm.artifacts import workspace_root


def assert_generated(path: Path, text: str, remedy: str) -> None:
    """`path` holds `text`, else the failure names the file and how to regenerate it."""
    try:
        shown = path.resolve().relative_to(workspace_root())
    except (ValueError, FileNotFoundError):
        shown = path
    assert path.read_text() == text, f"{shown} is stale: {remedy}"


def doc(name: str) -> Path:
    """`docs/<name>` in the workspace."""
    return workspace_root() / "docs" / name


def assert_doc_generated(name: str, text: str) -> None:
    """`docs/<name>` is what `make docs` writes now (`text`)."""
    assert_generated(doc(name), text, "run `make docs` and commit it")
