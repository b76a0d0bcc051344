"""Services: one unit of work each, joining rules to storage. No Telegram here."""
