"""The figure catalogue: every entry renders, output is byte-reproducible, `--check` catches
a modified figure, animations have the expected frames, and the committed figures are current."""

import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import assert_usage_error
from diracgan.cli import cli
from diracgan.viz.catalogue import CATALOGUE, check, render, versions

FIGURES = Path(__file__).parents[1] / "figures"
MANIFEST = json.loads((FIGURES / "manifest.json").read_text())
SAME_VERSIONS = MANIFEST["versions"] == versions()


def run(args):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="diracgan")


def _same_versions_or_skip():
    if not SAME_VERSIONS:
        pytest.skip(f"figures were drawn with {MANIFEST['versions']}, this is {versions()}")


def _check_file(path, entry):
    assert path.stat().st_size > 20_000
    if entry.filename.endswith(".gif"):
        with Image.open(path) as im:
            assert im.n_frames == 72 and im.format == "GIF"
            assert im.size[0] >= 900, "GIFs must be large enough for a projector"
    committed = FIGURES / entry.filename
    assert committed.exists(), f"{entry.filename} is not committed: run `diracgan figures`"
    _same_versions_or_skip()
    assert path.read_bytes() == committed.read_bytes(), (
        f"{entry.filename} differs from a fresh render: run `{entry.command}` (or `diracgan figures`) and commit")


@pytest.mark.parametrize("entry", CATALOGUE, ids=[e.name for e in CATALOGUE])
def test_each_caption_command_regenerates_exactly_the_committed_figure(tmp_path, monkeypatch, entry):
    # One entry per test (xdist spreads them over the cores).  The command is the README's
    # caption (test_readme_gallery_captions_are_the_catalogue_commands), run as a user would,
    # from a copy of the repository's root.
    assert entry.command.startswith("diracgan ")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "figures").mkdir()
    r = run(shlex.split(entry.command)[1:])
    assert r.exit_code == 0, r.output
    _check_file(tmp_path / "figures" / entry.filename, entry)


@pytest.mark.parametrize("entry", [e for e in CATALOGUE if not e.command.startswith("diracgan figures ")
                                   and e.animate is None], ids=lambda e: e.name)
def test_diracgan_figures_draws_what_the_caption_command_draws(tmp_path, entry):
    # For captions that are `diracgan phase/eig …`, the catalogue draws the same file.
    _check_file(render(entry, tmp_path), entry)


@pytest.mark.parametrize("entry", [e for e in CATALOGUE if e.animate is not None], ids=lambda e: e.name)
def test_diracgan_figures_animates_what_the_caption_command_animates(tmp_path, monkeypatch, entry):
    # GIFs are slow to encode: instead of encoding twice, check that `diracgan figures` and the
    # caption's `diracgan animate …` hand animate_phase the same trajectory and options (the
    # caption's GIF itself is compared byte for byte with the committed one above).
    from diracgan.viz import plotting

    calls = []
    monkeypatch.setattr(plotting, "animate_phase", lambda traj, path, **kw: calls.append((traj, kw)))
    render(entry, tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "figures").mkdir()
    r = run(shlex.split(entry.command)[1:])
    assert r.exit_code == 0, r.output
    (a, kw_a), (b, kw_b) = calls
    kw_b.pop("progress", None)
    assert kw_a == kw_b
    assert a.game == b.game and np.array_equal(a.t, b.t) and np.array_equal(a.states, b.states)


def test_readme_gallery_captions_are_the_catalogue_commands():
    readme = (FIGURES.parent / "README.md").read_text()
    gallery = readme[readme.index("## What the Dirac-GAN teaches"):readme.index("## What you can do")]
    pairs = re.findall(r"!\[[^\]]*\]\(figures/([^)]+)\)\s*(?:\|\s*)?(?:\n\s*)?`(diracgan [^`]+)`", gallery)
    by_file = {e.filename: e.command for e in CATALOGUE}
    assert {f for f, _ in pairs} == set(by_file), "every committed figure is in the gallery with its command"
    for filename, command in pairs:
        assert command == by_file[filename], filename


def test_the_manifest_lists_every_file_with_its_hash():
    assert set(MANIFEST["files"]) == {e.filename for e in CATALOGUE}


def test_the_catalogue_has_both_animations():
    assert {e.name for e in CATALOGUE if e.filename.endswith(".gif")} == {"anim-vanilla", "anim-gp0"}


def test_rendering_twice_is_byte_identical(tmp_path):
    entry = next(e for e in CATALOGUE if e.name == "eig-gp0-lambda")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert render(entry, tmp_path / "a").read_bytes() == render(entry, tmp_path / "b").read_bytes()


def test_check_detects_a_modified_figure(tmp_path):
    entry = next(e for e in CATALOGUE if e.name == "seed-gp0")
    render(entry, tmp_path)
    assert check(tmp_path, ["seed-gp0"], progress=False) == [("seed-gp0.png", "ok")]
    r = run(["figures", "--check", "--only", "seed-gp0", "--dir", tmp_path])
    assert r.exit_code == 0, r.output
    data = bytearray((tmp_path / "seed-gp0.png").read_bytes())
    data[-100] ^= 0xFF
    (tmp_path / "seed-gp0.png").write_bytes(bytes(data))
    r = run(["figures", "--check", "--only", "seed-gp0", "--dir", tmp_path])
    assert r.exit_code == 1 and "differs  seed-gp0.png" in r.stdout
    (tmp_path / "seed-gp0.png").unlink()
    assert check(tmp_path, ["seed-gp0"], progress=False) == [("seed-gp0.png", "missing")]


def test_figures_only_writes_that_entry_and_the_manifest(tmp_path):
    r = run(["figures", "--only", "eig-gp0-lambda", "--dir", tmp_path / "out"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["eig-gp0-lambda.png", "manifest.json"]


def test_animate_command_frames(tmp_path):
    out = tmp_path / "g.gif"
    r = run(["animate", "--loss", "gp1", "--dim", "2", "--frames", "12", "--t-max", "10", "--out", out])
    assert r.exit_code == 0, r.output
    with Image.open(out) as im:
        assert im.n_frames == 12


@pytest.mark.parametrize("args, fragment", [
    (["figures", "--only", "nope"], "unknown figure 'nope'"),
    (["animate", "--out", "x.mp4"], "unknown extension"),
    (["animate", "--loss", "wgan-clip"], "discrete time"),
])
def test_bad_input(tmp_path, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    assert_usage_error(run(args), fragment, tmp_path)
