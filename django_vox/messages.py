"""Typed messages: what a backend builds and later sends (or resends)."""

import base64
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Message", "MessageAttachment"]


@dataclass
class MessageAttachment:
    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"

    def to_dict(self) -> dict[str, str]:
        return {
            "filename": self.filename,
            "mimetype": self.mimetype,
            "content": base64.b64encode(self.content).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MessageAttachment":
        return cls(
            filename=data["filename"],
            mimetype=data.get("mimetype") or "application/octet-stream",
            content=base64.b64decode(data["content"]),
        )


@dataclass
class Message:
    """A rendered message, independent of any recipient address.

    ``text`` is the plain body every backend understands; ``html`` the HTML
    alternative (email); ``data`` structured content (JSON webhooks, Postmark
    template models, activities).
    """

    subject: str = ""
    text: str = ""
    html: str | None = None
    data: dict[str, Any] | None = None
    attachments: list[MessageAttachment] = field(default_factory=list)
    from_address: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
            "data": self.data,
            "attachments": [a.to_dict() for a in self.attachments],
            "from_address": self.from_address,
            "headers": dict(self.headers),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Message":
        return cls(
            subject=data.get("subject", ""),
            text=data.get("text", ""),
            html=data.get("html"),
            data=data.get("data"),
            attachments=[MessageAttachment.from_dict(a) for a in data.get("attachments", [])],
            from_address=data.get("from_address", ""),
            headers=dict(data.get("headers") or {}),
        )
