"""The nb, nn and en message catalogs, shipped as package data (see bot/i18n.py)."""
