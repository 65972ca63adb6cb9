#!/usr/bin/env bash
# Set up .venv and serve the API on SQLite with zero configuration (migrates, then prints a
# development API key on the very first start).
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" ""
exec "$venv/bin/kratom-cds" serve "$@"
