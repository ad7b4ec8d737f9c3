"""The partial indexes' PostgreSQL predicates are attached on demand (declaring them on the
tables would load SQLAlchemy's PostgreSQL dialect in every process that maps them)."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex

from warroom.adapters.sql import models


def _ddl(dialect) -> str:
    tables = (models.IncidentRow.__table__, models.ArtifactRow.__table__)  # type: ignore[attr-defined]
    return "\n".join(
        str(CreateIndex(index).compile(dialect=dialect))
        for table in tables
        for index in sorted(table.indexes, key=lambda i: str(i.name))
    )


def test_mapping_the_tables_does_not_load_the_postgresql_dialect():
    code = (
        "import sys\n"
        "import warroom.adapters.sql.models\n"
        "assert 'sqlalchemy.dialects.postgresql' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_postgresql_ddl_carries_the_same_partial_predicates_as_sqlite():
    models.add_postgresql_options()
    for_postgresql = _ddl(postgresql.dialect())
    assert for_postgresql == _ddl(sqlite.dialect())
    assert f"WHERE {models.OPEN_DEDUPE_KEY}" in for_postgresql
    assert f"WHERE {models.ARTIFACT_IS_FILE}" in for_postgresql
