"""The identity-token test vectors published for other stacks (docs/examples/identity/)
are what the Python implementation signs and verifies, and the Node.js example reproduces
them (the PHP and Ruby examples follow the same steps; run them with their vectors file)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from parrain.core.identity import InvalidIdentity, sign_identity, verify_identity

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "identity"
VECTORS = json.loads((EXAMPLES / "vectors.json").read_text())["vectors"]


def program_of(vector: dict) -> SimpleNamespace:
    return SimpleNamespace(
        public_key=vector["public_key"],
        identity_secret=vector["secret"],
        identity_secrets=lambda: [vector["secret"]],
    )


@pytest.mark.parametrize("vector", VECTORS, ids=[v["email"].strip() for v in VECTORS])
def test_python_signs_each_vector_byte_for_byte(vector: dict) -> None:
    token = sign_identity(
        program_of(vector),
        vector["email"],
        first_name=vector["first_name"],
        external_id=vector["external_id"],
        ttl=timedelta(seconds=vector["ttl_seconds"]),
        now=vector["issued_at"],
    )
    assert token == vector["token"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["email"].strip() for v in VECTORS])
def test_each_vector_verifies_until_it_expires(vector: dict) -> None:
    program = program_of(vector)
    identity = verify_identity(program, vector["token"], now=vector["issued_at"] + 1)
    assert identity.email == vector["email"].strip().lower()
    assert identity.first_name == vector["first_name"]
    with pytest.raises(InvalidIdentity):
        verify_identity(program, vector["token"], now=vector["issued_at"] + vector["ttl_seconds"])
    tampered = vector["token"][:-2] + ("AA" if not vector["token"].endswith("AA") else "BB")
    with pytest.raises(InvalidIdentity):
        verify_identity(program, tampered, now=vector["issued_at"] + 1)


def test_the_node_example_reproduces_the_vectors() -> None:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is missing (make test builds the widget with it)")
        pytest.skip("node is not installed")
    result = subprocess.run(  # noqa: S603 - our own example file
        [node, str(EXAMPLES / "sign.js"), str(EXAMPLES / "vectors.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok") == len(VECTORS)
