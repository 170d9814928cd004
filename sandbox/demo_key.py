"""The demo's ``SECRET_KEY``, made once per checkout, and the check production settings make.

The demo keeps its key in the ignored ``.demo/`` folder (``make clean`` removes it): no key
is committed, so no two installs share one. ``sandbox.settings_production`` refuses an empty
or short key and the demo's own, so that a deployment cannot start with a key that anyone
with the source or the checkout knows.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from parrain.standalone.env import secret_key

DEMO_FOLDER = Path(__file__).resolve().parent.parent / ".demo"
KEY_FILE = DEMO_FOLDER / "secret_key"
# Keys published in this repository's history: never acceptable in production.
PUBLISHED_KEYS = frozenset({"demo-only-not-secret"})


def demo_secret_key(path: Path | None = None) -> str:
    """The key kept in ``path`` (``.demo/secret_key``), made on first use, owner-only."""
    path = path or KEY_FILE
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(50) + "\n")
        try:
            os.link(draft, path)  # atomic: two processes starting at once keep one key
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def production_secret_key(value: str, demo_key_file: Path | None = None) -> str:
    """``value`` (``DJANGO_SECRET_KEY``) if fit for production, else ImproperlyConfigured:
    the standalone service's rules (``parrain.standalone.env.secret_key``), and never the
    demo's key."""
    demo_key_file = demo_key_file or KEY_FILE
    demo_key = demo_key_file.read_text().strip() if demo_key_file.exists() else None
    return secret_key(
        value,
        name="DJANGO_SECRET_KEY",
        refused=PUBLISHED_KEYS | ({demo_key} if demo_key else set()),
        refused_why=(
            f"the demo's key ({demo_key_file} or the one once shipped in sandbox/settings.py): "
            "give this deployment its own"
        ),
    )
