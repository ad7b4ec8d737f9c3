"""SQL storage: SQLModel tables, mappers, migrations, the unit of work and the change log.
What only SQLite does lives in `sqlite/`. No Qt."""
