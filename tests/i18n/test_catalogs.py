"""The gettext catalogs are complete and in step with the sources (scripts/i18n check).

A session that adds a translatable string without running ``scripts/i18n extract``,
``update``, translating the new entries and ``compile`` turns these tests red.
"""

from __future__ import annotations

import gettext
import importlib.machinery
import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("it", "fr", "pt_BR")


def load_script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader(
        "helpline_i18n_script", str(ROOT / "scripts" / "i18n")
    )
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script()


def test_the_script_covers_every_translated_language(script: ModuleType) -> None:
    assert sorted(script.languages()) == sorted(LANGUAGES)


def test_messages_pot_is_up_to_date_with_the_sources(script: ModuleType) -> None:
    problems = script.pot_problems()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_complete_and_compiled(script: ModuleType, language: str) -> None:
    problems = script.catalog_problems(language)
    assert problems == [], "\n".join(problems)


def test_extraction_finds_python_and_template_strings(script: ModuleType) -> None:
    with (ROOT / "src/helpline/i18n/locale/messages.pot").open("rb") as handle:
        catalog = read_po(handle)
    where = {m.id: {loc for loc, _line in m.locations} for m in catalog if m.id}
    # {{ _('...') }} in a template, _() in Python, i18n.gettext() in Python.
    assert "src/helpline/auth/templates/auth/login.html" in where["Log in to Helpline"]
    assert "src/helpline/auth/pages.py" in where["Wrong user name or password."]
    assert "src/helpline/http/templates.py" in where["Help"]
    seconds = catalog.get("Too many failed logins. Try again in %(seconds)s seconds.")
    assert seconds is not None
    assert "python-format" in seconds.flags


def test_babel_cfg_extracts_trans_blocks_and_plurals(tmp_path: Path) -> None:
    folder = tmp_path / "demo" / "templates" / "demo"
    folder.mkdir(parents=True)
    (folder / "page.html").write_text(
        "{{ _('Expression string') }}\n"
        "{% trans %}Block string{% endtrans %}\n"
        "{% trans count=n %}One contact{% pluralize %}{{ count }} contacts{% endtrans %}\n",
        encoding="utf-8",
    )
    (tmp_path / "demo" / "module.py").write_text('x = _("Python string")\n', encoding="utf-8")
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(tmp_path),
            method_map,
            options_map,
            keywords={"_": None, "gettext": None, "ngettext": (1, 2)},
        )
    }
    assert {"Expression string", "Block string", "One contact", "Python string"} <= found


@pytest.mark.parametrize(
    ("language", "expected"),
    [("it", "Accedi a Helpline"), ("fr", "Connexion à Helpline"), ("pt_BR", "Entrar no Helpline")],
)
def test_compiled_catalog_translates(language: str, expected: str) -> None:
    translations = gettext.translation(
        "messages", localedir=ROOT / "src/helpline/i18n/locale", languages=[language]
    )
    assert translations.gettext("Log in to Helpline") == expected
    assert (
        translations.gettext("Too many failed logins. Try again in %(seconds)s seconds.")
        % {"seconds": 42}
    ).count("42") == 1


def _copy_locale(script: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    locale = tmp_path / "locale"
    shutil.copytree(script.LOCALE_DIR, locale)
    monkeypatch.setattr(script, "LOCALE_DIR", locale)
    monkeypatch.setattr(script, "POT_FILE", locale / "messages.pot")
    return locale


def _edit_po(path: Path, language: str, edit) -> None:  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    edit(catalog)
    with path.open("wb") as handle:
        write_po(handle, catalog)


def test_check_reports_untranslated_fuzzy_placeholder_and_stale_mo(
    script: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locale = _copy_locale(script, tmp_path, monkeypatch)
    po = locale / "it" / "LC_MESSAGES" / "messages.po"

    def edit(catalog) -> None:  # type: ignore[no-untyped-def]
        catalog["Save"].string = ""
        catalog["Log out"].flags.add("fuzzy")
        catalog[
            "Too many failed logins. Try again in %(seconds)s seconds."
        ].string = "Troppi accessi non riusciti. Riprova tra poco."

    _edit_po(po, "it", edit)
    problems = "\n".join(script.catalog_problems("it"))
    assert "'Save' is untranslated" in problems
    assert "'Log out' is fuzzy" in problems
    assert "placeholders ['%(seconds)s']" in problems
    assert "messages.mo is out of date" in problems

    (locale / "fr" / "LC_MESSAGES" / "messages.mo").unlink()
    assert any("is missing" in p for p in script.catalog_problems("fr"))


def test_check_reports_a_stale_pot_and_a_catalog_without_the_new_msgid(
    script: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locale = _copy_locale(script, tmp_path, monkeypatch)

    def drop(catalog) -> None:  # type: ignore[no-untyped-def]
        del catalog["Log in to Helpline"]

    _edit_po(locale / "messages.pot", "en", drop)
    assert any("lacks 'Log in to Helpline'" in p for p in script.pot_problems())

    def add(catalog) -> None:  # type: ignore[no-untyped-def]
        catalog.add("A string nobody translated", locations=[("src/helpline/x.py", None)])

    _edit_po(locale / "messages.pot", "en", add)
    assert any("still has 'A string nobody translated'" in p for p in script.pot_problems())
    assert any(
        "'A string nobody translated' is not in the catalog" in p
        for p in script.catalog_problems("pt_BR")
    )
