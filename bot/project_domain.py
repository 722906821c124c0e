"""The domain as the files in domain/ say it — not a trained model's copy.

Read once per process, where Rasa does not hand the domain over: the action
server's form validators (Rasa sends actions no domain: endpoints.yml
``enable_selective_domain``, and ``send_domain: false`` on each ``validate_``
action in domain/) and the message guard's answers for responses added after
the running model was trained.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Dict, Text

from bot.config import ROOT

if TYPE_CHECKING:
    from rasa.shared.core.domain import Domain


@lru_cache(maxsize=1)
def project_domain() -> "Domain":
    from rasa.shared.core.domain import Domain  # heavy; import only when needed

    return Domain.load(str(ROOT / "domain"))


@lru_cache(maxsize=1)
def project_domain_dict() -> Dict[Text, Any]:
    """The domain as Rasa sends it to an action."""
    return project_domain().as_dict()
