"""app.rules is pure: no web, database or service layer, no clock, no randomness, no I/O."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import app.rules

RULES_DIR = Path(app.rules.__file__).parent
FORBIDDEN_MODULES = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "app.db",
    "app.services",
    "app.api",
    "app.main",
    "app.models",
    "app.config",
    "httpx",
    "asyncpg",
    "aiosqlite",
)


def test_importing_rules_loads_no_forbidden_module() -> None:
    code = (
        "import sys, app.rules\n"
        f"bad = [m for m in {FORBIDDEN_MODULES!r} if m in sys.modules]\n"
        "print(sorted(bad))"
    )
    out = subprocess.run(  # noqa: S603 - fixed interpreter and code
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=RULES_DIR.parent.parent,
    )
    assert out.stdout.strip() == "[]"


def test_importing_rules_adds_only_stdlib_and_app_modules() -> None:
    # Whatever pydantic and app.schemas load is the baseline; app.rules may add only its own
    # modules and standard-library ones.
    code = (
        "import sys, pydantic, app.schemas.assessment, app.schemas.evaluation\n"
        "before = set(sys.modules)\n"
        "import app.rules\n"
        "added = sorted(set(sys.modules) - before)\n"
        "std = set(sys.stdlib_module_names)\n"
        "print(sorted(m for m in added if not m.startswith('app.rules')"
        " and m.split('.')[0] not in std))"
    )
    out = subprocess.run(  # noqa: S603 - fixed interpreter and code
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=RULES_DIR.parent.parent,
    )
    assert out.stdout.strip() == "[]"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_rules_import_only_stdlib_pydantic_and_app_schemas() -> None:
    allowed_prefixes = ("app.rules", "app.schemas", "pydantic", "typing_extensions")
    stdlib = set(sys.stdlib_module_names)
    for path in RULES_DIR.rglob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            assert top in stdlib or name.startswith(allowed_prefixes) or name == "__future__", (
                f"{path.name} imports {name}"
            )


def test_no_clock_or_randomness_in_rules() -> None:
    banned = (
        "datetime.now",
        "datetime.utcnow",
        "date.today",
        "time.time",
        "random.",
        "uuid.uuid",
        "open(",
        "os.environ",
    )
    for path in RULES_DIR.rglob("*.py"):
        text = path.read_text()
        for token in banned:
            assert token not in text, f"{path.name} uses {token}"
