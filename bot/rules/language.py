"""Which language to use before a person has chosen one."""

# Telegram has no Nynorsk client language; nn users arrive as nb, no or en.
_GUESSES = {"nb": "nb", "no": "nb", "nn": "nn", "en": "en", "sv": "nb", "da": "nb"}


def told_language(telegram_language_code: str | None) -> str | None:
    """The language Telegram tells us the person uses, when it is one we speak (or a close
    neighbour of one: Swedish and Danish read as Bokmål); None when Telegram tells nothing
    or another language, and we had better ask."""
    if not telegram_language_code:
        return None
    primary = telegram_language_code.lower().replace("_", "-").split("-")[0]
    return _GUESSES.get(primary)


def guess_language(telegram_language_code: str | None, default: str) -> str:
    if not telegram_language_code:
        return default
    return told_language(telegram_language_code) or "en"
