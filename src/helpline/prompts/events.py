from __future__ import annotations

from helpline.storage.eventlog import Event


class PromptReplaced(Event):
    """An admin's recording now plays instead of the shipped prompt (or the previous upload)."""

    type = "prompt.replaced"
    key: str
    language: str
    original_filename: str
    duration_ms: int
    # The shipped prompt was playing until now (False: an earlier upload was replaced).
    was_default: bool


class PromptReset(Event):
    """The upload is gone: the shipped prompt plays again."""

    type = "prompt.reset"
    key: str
    language: str
    original_filename: str


class MusicUploaded(Event):
    type = "music.uploaded"
    # "default" is the site's hold music; other names are pieces a queue can choose.
    key: str
    original_filename: str
    duration_ms: int
    replaced: bool


class MusicDeleted(Event):
    """For "default": the shipped hold music plays again."""

    type = "music.deleted"
    key: str
    original_filename: str
