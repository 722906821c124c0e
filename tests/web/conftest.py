"""The website widget runs against the same live Dana as the channel tests."""
import os

# credentials.yml reads ${DANA_PUBLIC_URL}; scripts/env.sh sets it, this keeps
# a bare `pytest tests/web` working too (empty: the page's own origin).
os.environ.setdefault("DANA_PUBLIC_URL", "")

from tests.channels.conftest import chatwoot, dana, standin  # noqa: E402,F401
