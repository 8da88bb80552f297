"""Free text: long natural-language values (chats, support tickets, notes) in any column."""

from __future__ import annotations

from breachscope.detectors.base import Detector

_WORD = r"[A-Za-zÀ-ɏ]{2,}[,.!?;:'’\"]*"

FREE_TEXT = Detector(
    name="free_text",
    version=1,
    data_class="chat_content",
    pattern=r"(?:" + _WORD + r"\s+){7,}" + _WORD,
    column_hints=(
        r"message",
        r"chat",
        r"comment",
        r"note",
        r"ticket",
        r"body",
        r"content",
        r"prompt",
        r"text",
    ),
    min_length=40,
    description="Eight or more consecutive words (40+ characters): sentences someone wrote.",
)

DETECTORS: tuple[Detector, ...] = (FREE_TEXT,)
