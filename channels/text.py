"""Text helpers shared by the channels."""

from __future__ import annotations

from typing import List, Text


def split_text(text: Text, limit: int) -> List[Text]:
    """Chunks of at most ``limit`` characters, cut at paragraph, line or word ends
    (messengers refuse longer messages)."""
    chunks: List[Text] = []
    rest = (text or "").strip()
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return chunks + ([rest] if rest else [])
