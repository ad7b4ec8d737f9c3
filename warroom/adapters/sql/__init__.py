"""Persistence: SQLModel tables, engine set-up, migrations and queries. No Qt."""
