"""The ForBedring assistant: the Telegram side (application, routing, i18n, jobs)."""

import os

# Opt in to PTB 23's behaviour now: RetryAfter.retry_after is a timedelta
# (the outbox sender handles both), and no deprecation warning on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "true")
