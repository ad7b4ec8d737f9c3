"""The schema version this build writes; store/migrations.py holds the steps to reach it."""

SCHEMA_VERSION = 12
