"""A shared war room on a PostgreSQL server: opening it, LISTEN/NOTIFY. Imported only when
a database URL is given, so the local app never loads psycopg."""
