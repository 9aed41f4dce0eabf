"""The documentation is complete and generated parts are up to date."""

from __future__ import annotations

import re
from pathlib import Path

from xxgk.checks.rules import all_rules, rules_markdown
from xxgk.cli import app
from xxgk.template import cells_markdown, load_template

ROOT = Path(__file__).resolve().parents[1]


def test_rules_doc_is_generated() -> None:
    assert (ROOT / "docs" / "rules.md").read_text("utf-8") == rules_markdown()
    assert len({r.code for r in all_rules()}) == len(all_rules())


def test_templates_doc_is_generated() -> None:
    doc = (ROOT / "docs" / "templates.md").read_text("utf-8")
    for tid in ("2021", "2019"):
        assert cells_markdown(load_template(tid)) in doc


def test_every_command_documented() -> None:
    cli_doc = (ROOT / "docs" / "cli.md").read_text("utf-8")
    readme = (ROOT / "README.md").read_text("utf-8")
    for cmd in app.registered_commands:
        name = cmd.name or cmd.callback.__name__  # type: ignore[union-attr]
        assert f"## xxgk {name}" in cli_doc, name
        assert f"xxgk {name}" in readme or name in ("cells", "schema", "rules", "demo"), name
        assert cmd.callback.__doc__, name  # type: ignore[union-attr]


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    m = re.search(r"\*\*2\. Tests\*\*.*?```bash\n(.+?)\n```", readme, re.S)
    assert m, "README has no test command"
    assert m.group(1).strip() in ci


def test_published_json_schema_is_current() -> None:
    import json

    from xxgk.model import Report

    published = json.loads((ROOT / "docs" / "report.schema.json").read_text("utf-8"))
    assert published == Report.model_json_schema()


def test_every_office_command_documented() -> None:
    from xxgk.cli_office import office_app

    doc = (ROOT / "docs" / "office.md").read_text("utf-8")
    for cmd in office_app.registered_commands:
        name = cmd.name or cmd.callback.__name__  # type: ignore[union-attr]
        assert f"xxgk office {name}" in doc, name
        assert cmd.callback.__doc__, name  # type: ignore[union-attr]


def test_every_corpus_command_documented() -> None:
    from xxgk.cli_corpus import agencies_app, corpus_app

    doc = (ROOT / "docs" / "corpus.md").read_text("utf-8")
    for prefix, typer_app in (("xxgk corpus", corpus_app), ("xxgk corpus agencies", agencies_app)):
        for cmd in typer_app.registered_commands:
            name = cmd.name or cmd.callback.__name__  # type: ignore[union-attr]
            assert f"{prefix} {name}" in doc, name
            assert cmd.callback.__doc__, name  # type: ignore[union-attr]
