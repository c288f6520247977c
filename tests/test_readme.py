"""The README stays true: its games table is the registry's, and its API tour runs."""

import re
from pathlib import Path

from diracgan.report import games_markdown

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_games_table_is_generated_from_the_registry():
    table = re.search(r"<!-- games-table:start -->\n(.*?)\n<!-- games-table:end -->", README, re.S).group(1)
    assert table == games_markdown()


def test_api_tour_runs(tmp_path, monkeypatch):
    code = re.search(r"## Python API\n.*?```python\n(.*?)```", README, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert (tmp_path / "gp1.png").stat().st_size > 10_000
    assert namespace["J"].shape == (4, 4)
    assert namespace["batch"].ok.all() and namespace["batch"].n_runs == 1000
    assert (tmp_path / "fit.png").stat().st_size > 10_000


def test_the_api_tour_imports_only_from_the_top_level_package():
    code = re.search(r"## Python API\n.*?```python\n(.*?)```", README, re.S).group(1)
    assert "from diracgan." not in code, "everything the README uses is exported by diracgan/__init__.py"
