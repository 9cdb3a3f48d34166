"""A report grouped by anything but the model has no provider per row: its table and TSV have
no ``provider`` column (it printed one, empty on every row, for ``properties NAME`` and
``costs --by user``); grouped by model, the provider tells ``gpt-4o`` on OpenAI from Azure."""

from __future__ import annotations

from .conftest import Logged, run_cli


def test_only_the_model_grouping_has_a_provider_column(logged: Logged) -> None:
    home = str(logged.home)
    for argv in (["properties", "department"], ["costs", "--by", "user"]):
        done = run_cli(*argv, "--home", home)
        assert done.returncode == 0, done.stderr
        assert "provider" not in done.stdout.splitlines()[0].split("\t"), done.stdout
    by_model = run_cli("costs", "--by", "model", "--home", home)
    header, first = by_model.stdout.splitlines()[:2]
    assert header.split("\t")[:2] == ["model", "provider"]
    assert first.split("\t")[1] == "openai"
