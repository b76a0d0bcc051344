"""Rules: plain functions that decide, with no Telegram and no SQL in them."""
