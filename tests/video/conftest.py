from __future__ import annotations

from tests.chats.conftest import admin, settings

__all__ = ["admin", "settings"]
