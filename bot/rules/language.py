"""Which language to use before a person has chosen one."""

# Telegram has no Nynorsk client language; nn users arrive as nb, no or en.
_GUESSES = {"nb": "nb", "no": "nb", "nn": "nn", "en": "en", "sv": "nb", "da": "nb"}


def guess_language(telegram_language_code: str | None, default: str) -> str:
    if not telegram_language_code:
        return default
    primary = telegram_language_code.lower().replace("_", "-").split("-")[0]
    return _GUESSES.get(primary, "en")
