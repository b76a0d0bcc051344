"""The ForBedring assistant: the Telegram side (application, routing, i18n, jobs)."""
