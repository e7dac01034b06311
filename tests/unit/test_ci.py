"""CI runs the README's test command exactly, so the README cannot promise less or more."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ci_runs_the_readme_test_command():
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    ci = next(line for line in lines if line.startswith("python3 -m venv .venv "))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ci in readme.splitlines()
    assert "ruff check ." in ci and "ruff format --check ." in ci and "pytest" in ci
    assert "lint-imports" in ci  # the layer contract in pyproject.toml
