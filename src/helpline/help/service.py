from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt

from helpline.channels.email import SmtpRelay
from helpline.core.permissions import Role
from helpline.errors import Invalid, NotFound
from helpline.i18n import gettext as _

# The guides live in the repository's docs/guides (one Markdown file a role, translations in
# a folder per language); an installed wheel carries a copy inside the package.
_CANDIDATES = (
    Path(__file__).resolve().parent / "guides",
    Path(__file__).resolve().parents[3] / "docs" / "guides",
)

GUIDE_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True)
class Guide:
    role: Role
    language: str
    title: str
    html: str


def guides_dir() -> Path:
    for candidate in _CANDIDATES:
        if candidate.is_dir():
            return candidate
    raise NotFound("the user guides are not installed")


def _source(role: Role, language: str) -> tuple[Path, str]:
    base = guides_dir()
    localized = base / language / f"{role.value}.md"
    if language != "en" and localized.is_file():
        return localized, language
    english = base / f"{role.value}.md"
    if not english.is_file():
        raise NotFound(f"no guide for the {role.value} role")
    return english, "en"


@lru_cache(maxsize=32)
def _render(path: Path, mtime: float) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8")
    title = next((ln[2:].strip() for ln in text.splitlines() if ln.startswith("# ")), path.stem)
    # No raw HTML in guides: they are rendered into the app's own pages.
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    return title, html


def guide(*, role: Role, language: str) -> Guide:
    path, found_language = _source(role, language)
    title, html = _render(path, path.stat().st_mtime)
    return Guide(role=role, language=found_language, title=title, html=html)


def list_guides(*, language: str) -> list[Guide]:
    return [guide(role=role, language=language) for role in GUIDE_ROLES]


def guide_url(base_url: str, role: Role) -> str:
    return f"{base_url.rstrip('/')}/help/{role.value}"


async def share_by_email(
    *,
    relay: SmtpRelay | None,
    role: Role,
    recipients: list[str],
    base_url: str,
    sender_name: str,
) -> str:
    """Email the link of a guide to the team; returns the link sent."""
    if relay is None:
        raise Invalid(
            _(
                "Email is not set up: set HELPLINE_SMTP_HOST (and HELPLINE_SMTP_PORT, "
                "HELPLINE_SMTP_SENDER) or copy the link instead."
            )
        )
    link = guide_url(base_url, role)
    title = guide(role=role, language="en").title
    body = (
        f'{sender_name} shares the Helpline guide "{title}" with you:\n\n{link}\n\n'
        "Log in with your Helpline account to read it."
    )
    try:
        await relay.send(recipients=recipients, subject=f"Helpline: {title}", body=body)
    except OSError as error:
        raise Invalid(
            _("The mail server did not accept the message: %(error)s") % {"error": error}
        ) from error
    return link
