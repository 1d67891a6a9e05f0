"""The prompts Helpline ships: their keys, what they say in each language, and how numbers,
positions and waits are spoken by putting prompts one after the other.

Plain data and functions (standard library only): ``scripts/make-sounds`` reads the texts
from here to synthesize the default WAV files, so the files and the catalogue cannot drift.
"""

from __future__ import annotations

from pathlib import Path

LANGUAGES: tuple[str, ...] = ("en", "it", "fr", "pt_BR")
FALLBACK_LANGUAGE = "en"

# The shipped audio: sounds/<language>/<key>.wav and sounds/hold_music.wav.
SOUNDS_DIR = Path(__file__).resolve().parent / "sounds"
HOLD_MUSIC_FILE = SOUNDS_DIR / "hold_music.wav"

# Numbers are recorded whole (n0 … n99) rather than as tens plus units: "ventuno",
# "vingt et un", "soixante et onze", "vinte e um" do not come out of concatenation, and a
# single word sounds natural to the caller. Positions and waits above this are not spoken.
MAX_SPOKEN_NUMBER = 99

# What each sentence says. Phrases that take a number are cut where the number goes:
# position_is + n7 + in_line, estimated_wait_is + n5 + minutes.
SENTENCES: dict[str, dict[str, str]] = {
    "welcome": {
        "en": "Thank you for calling. Please hold, the next available agent will answer you.",
        "it": "Grazie per aver chiamato. Resti in linea, il primo operatore disponibile le "
        "risponderà.",
        "fr": "Merci de votre appel. Veuillez patienter, le prochain conseiller disponible "
        "va vous répondre.",
        "pt_BR": "Obrigado por ligar. Por favor, aguarde. O próximo atendente disponível vai "
        "atender você.",
    },
    "closed": {
        "en": "We are closed right now. Please call again during our opening hours, or leave "
        "a message after the tone.",
        "it": "In questo momento siamo chiusi. La preghiamo di richiamare durante l'orario di "
        "apertura, oppure di lasciare un messaggio dopo il segnale acustico.",
        "fr": "Nous sommes fermés pour le moment. Merci de rappeler pendant nos heures "
        "d'ouverture, ou de laisser un message après le bip.",
        "pt_BR": "No momento estamos fechados. Por favor, ligue novamente no nosso horário de "
        "atendimento, ou deixe uma mensagem após o sinal.",
    },
    "callback_offer": {
        "en": "All our agents are busy. To be called back without losing your place in line, "
        "press the hash key.",
        "it": "Tutti i nostri operatori sono occupati. Per essere richiamato senza perdere il "
        "suo posto in coda, prema il tasto cancelletto.",
        "fr": "Tous nos conseillers sont occupés. Pour être rappelé sans perdre votre place "
        "dans la file d'attente, appuyez sur la touche dièse.",
        "pt_BR": "Todos os nossos atendentes estão ocupados. Para receber a nossa ligação sem "
        "perder o seu lugar na fila, digite a tecla jogo da velha.",
    },
    "callback_confirmed": {
        "en": "Thank you. We will call you back as soon as an agent is free. Goodbye.",
        "it": "Grazie. La richiameremo non appena un operatore sarà libero. Arrivederci.",
        "fr": "Merci. Nous vous rappellerons dès qu'un conseiller sera disponible. Au revoir.",
        "pt_BR": "Obrigado. Vamos ligar para você assim que um atendente estiver livre. Até logo.",
    },
    "menu_default": {
        "en": "For support, press 1. For sales, press 2. To repeat, press star.",
        "it": "Per l'assistenza, prema 1. Per l'ufficio commerciale, prema 2. Per riascoltare, "
        "prema asterisco.",
        "fr": "Pour l'assistance, tapez 1. Pour le service commercial, tapez 2. Pour "
        "réécouter, tapez étoile.",
        "pt_BR": "Para suporte, digite 1. Para vendas, digite 2. Para ouvir novamente, "
        "digite asterisco.",
    },
    "invalid_choice": {
        "en": "Sorry, that is not a valid choice.",
        "it": "Ci scusi, la scelta non è valida.",
        "fr": "Désolé, ce choix n'est pas valide.",
        "pt_BR": "Desculpe, essa opção não é válida.",
    },
    "voicemail": {
        "en": "Please leave your message after the tone, then hang up.",
        "it": "Lasci il suo messaggio dopo il segnale acustico, poi riagganci.",
        "fr": "Laissez votre message après le bip, puis raccrochez.",
        "pt_BR": "Deixe a sua mensagem após o sinal e depois desligue.",
    },
    "goodbye": {
        "en": "Goodbye.",
        "it": "Arrivederci.",
        "fr": "Au revoir.",
        "pt_BR": "Até logo.",
    },
    "position_is": {
        "en": "You are number",
        "it": "Lei è il numero",
        "fr": "Vous êtes le numéro",
        "pt_BR": "Você é o número",
    },
    "in_line": {
        "en": "in line.",
        "it": "in coda.",
        "fr": "dans la file d'attente.",
        "pt_BR": "na fila.",
    },
    "estimated_wait_is": {
        "en": "Your estimated wait is",
        "it": "Il tempo di attesa stimato è di",
        "fr": "Votre temps d'attente estimé est de",
        "pt_BR": "O seu tempo de espera estimado é de",
    },
    "minutes": {"en": "minutes", "it": "minuti", "fr": "minutes", "pt_BR": "minutos"},
    "minute": {"en": "minute", "it": "minuto", "fr": "minute", "pt_BR": "minuto"},
    # "uno minuto", "un minute" are wrong: the singular needs its own article.
    "one_minute": {
        "en": "one minute",
        "it": "un minuto",
        "fr": "une minute",
        "pt_BR": "um minuto",
    },
    "less_than_a_minute": {
        "en": "less than a minute",
        "it": "meno di un minuto",
        "fr": "moins d'une minute",
        "pt_BR": "menos de um minuto",
    },
    "transfer": {
        "en": "Please hold while we transfer your call.",
        "it": "Resti in linea, stiamo trasferendo la sua chiamata.",
        "fr": "Veuillez patienter, nous transférons votre appel.",
        "pt_BR": "Por favor, aguarde enquanto transferimos a sua ligação.",
    },
}

BEEP = "beep"
NUMBER_KEYS: tuple[str, ...] = tuple(f"n{n}" for n in range(MAX_SPOKEN_NUMBER + 1))
# Every prompt an admin can replace, in the order the admin page lists them.
PROMPT_KEYS: tuple[str, ...] = (*SENTENCES, BEEP, *NUMBER_KEYS)


def text(key: str, language: str) -> str:
    """What the shipped prompt says ("" for the beep): shown beside its player."""
    if key in SENTENCES:
        return SENTENCES[key][language]
    if key in NUMBER_KEYS:
        return key.removeprefix("n")
    return ""


def default_path(key: str, language: str) -> Path:
    return SOUNDS_DIR / language / f"{key}.wav"


def spoken_number(n: int, language: str) -> list[str]:
    """The prompt keys that say ``n`` (0 … 99) in ``language``, in order.

    Every language has each number as one recording (see MAX_SPOKEN_NUMBER), so the list
    has one key; it is a list so that a language or a range that has to combine words
    (tens and units, "hundred") can do so without changing the callers.
    """
    if language not in LANGUAGES:
        raise ValueError(f"no prompts in language {language!r}")
    if not 0 <= n <= MAX_SPOKEN_NUMBER:
        raise ValueError(f"{n} cannot be spoken: numbers go from 0 to {MAX_SPOKEN_NUMBER}")
    return [f"n{n}"]


def position_prompts(position: int, language: str) -> list[str]:
    """ "You are number 3 in line.": [] when the position is too high to speak (over 99),
    because a wrong number is worse than none."""
    if not 1 <= position <= MAX_SPOKEN_NUMBER:
        return []
    return ["position_is", *spoken_number(position, language), "in_line"]


def _rounded_minutes(seconds: float) -> int:
    minutes = round(seconds / 60)
    # Past 20 minutes a caller hears "about 25", not a precision the estimate lacks; the
    # multiples of 5 also avoid French's feminine "vingt et une minutes".
    if minutes > 20:
        minutes = 5 * round(minutes / 5)
    return max(minutes, 1)


def wait_prompts(seconds: float, language: str) -> list[str]:
    """ "Your estimated wait is 5 minutes.": [] when the wait is too long to speak."""
    if language not in LANGUAGES:
        raise ValueError(f"no prompts in language {language!r}")
    if seconds < 60:
        return ["estimated_wait_is", "less_than_a_minute"]
    minutes = _rounded_minutes(seconds)
    if minutes > MAX_SPOKEN_NUMBER:
        return []
    if minutes == 1:
        return ["estimated_wait_is", "one_minute"]
    return ["estimated_wait_is", *spoken_number(minutes, language), "minutes"]
