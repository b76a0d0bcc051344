"""Storage: SQLModel tables and the only code in the project that talks SQL."""
