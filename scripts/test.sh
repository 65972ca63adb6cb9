#!/usr/bin/env bash
# Set up .venv with the dev extras and run the whole test suite (SQLite by default; set
# KRATOM_CDS_TEST_DATABASE_URL=postgresql+asyncpg://... to run it on PostgreSQL).
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" "[dev]"
exec "$venv/bin/python" -m pytest "$@"
