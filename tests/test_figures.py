"""The figure catalogue: `diracgan figures` (two worker processes) draws exactly the committed
files, so do the caption commands, `--check` catches a modified figure, the manifest stays
consistent when interrupted, progress is one line per figure off a terminal, and the fast
training path of the EMA figure gives train()'s numbers bit for bit.

The whole catalogue is rendered once per test session (the first xdist worker to need it
renders it with the CLI's two processes while the others wait for it) and every test compares
against that one render."""

import json
import os
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import assert_usage_error
from diracgan.cli import cli
from diracgan.viz import catalogue
from diracgan.viz.catalogue import CATALOGUE, check, get_entry, versions

FIGURES = Path(__file__).parents[1] / "figures"
AVAILABLE = [e for e in CATALOGUE if e.available]
MANIFEST = json.loads((FIGURES / "manifest.json").read_text())
SAME_VERSIONS = MANIFEST["versions"] == versions()
LINE = re.compile(r"^\[(\d+)/(\d+)\] (\S+) (\d+\.\d) s$")


def run(args):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="diracgan")


def _same_versions_or_skip():
    if not SAME_VERSIONS:
        pytest.skip(f"figures were drawn with {MANIFEST['versions']}, this is {versions()}")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """(folder, stderr) of one `diracgan figures --dir FOLDER` (two workers, stderr not a
    terminal), shared by the xdist workers of this session through a lock file."""
    import fcntl

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    root = tmp_path_factory.getbasetemp()
    root = root.parent if worker else root       # the parent is this session's, shared by its workers
    folder, log = root / "catalogue", root / "catalogue.stderr"
    with open(root / "catalogue.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not log.exists():
            r = run(["figures", "--dir", folder, "--jobs", "2"])
            assert r.exit_code == 0, r.output
            log.write_text(r.stderr)
    return folder, log.read_text()


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
def test_diracgan_figures_draws_exactly_the_committed_figure(rendered, entry):
    # Drawn by the worker processes: the same bytes as the serial render that made figures/.
    if not entry.available:
        pytest.skip(f"{entry.name} needs {', '.join(entry.needs)}")
    _check_file(rendered[0] / entry.filename, entry)


def test_the_render_writes_the_manifest_of_its_files(rendered):
    folder, _ = rendered
    written = json.loads((folder / "manifest.json").read_text())
    assert written["versions"] == versions()
    assert sorted(written["files"]) == sorted(e.filename for e in AVAILABLE) == sorted(
        p.name for p in folder.iterdir() if p.name != "manifest.json")
    if SAME_VERSIONS and len(AVAILABLE) == len(CATALOGUE):
        assert written["files"] == MANIFEST["files"]


def test_without_a_terminal_progress_is_one_line_per_figure(rendered):
    # Issue 23: CI logs show each figure and its time; the tqdm bar is for terminals only.
    lines = [line for line in rendered[1].strip().splitlines() if not line.startswith("skipped ")]
    n = len(AVAILABLE)   # entries whose optional packages (torch, POT) are missing are skipped with a note
    assert lines[-1].startswith(f"rendered {n} figure(s) into ")
    found = [LINE.match(line) for line in lines[:-1]]
    assert all(found) and len(found) == n, lines
    assert [int(m.group(1)) for m in found] == list(range(1, n + 1))
    assert {int(m.group(2)) for m in found} == {n}
    assert sorted(m.group(3) for m in found) == sorted(e.filename for e in AVAILABLE)


def test_on_a_terminal_progress_is_a_bar(monkeypatch, capsys):
    class Terminal:
        def __init__(self):
            self.text = []

        def isatty(self):
            return True

        def write(self, s):
            self.text.append(s)

        def flush(self):
            pass

    term = Terminal()
    monkeypatch.setattr("sys.stderr", term)
    bar = catalogue._Progress(2, None, "figures")
    bar.done(CATALOGUE[0], 1.0)
    bar.close()
    assert bar.bar is not None and not bar.lines
    assert not any(LINE.match(t.strip()) for t in term.text)
    quiet = catalogue._Progress(2, False, "figures")
    quiet.done(CATALOGUE[0], 1.0)
    assert quiet.bar is None and not quiet.lines


@pytest.mark.parametrize("entry", [e for e in CATALOGUE if not e.command.startswith("diracgan figures ")
                                   and e.animate is None], ids=lambda e: e.name)
def test_each_caption_command_regenerates_exactly_the_committed_figure(tmp_path, monkeypatch, entry):
    # The README's caption (test_readme_gallery_captions_are_the_catalogue_commands), run as a
    # user would, from a copy of the repository's root, in this process.  Captions that are
    # `diracgan figures --only NAME` are the render above (--only: see below).
    assert entry.command.startswith("diracgan ")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "figures").mkdir()
    r = run(shlex.split(entry.command)[1:])
    assert r.exit_code == 0, r.output
    _check_file(tmp_path / "figures" / entry.filename, entry)


@pytest.mark.parametrize("entry", [e for e in CATALOGUE if e.animate is not None], ids=lambda e: e.name)
def test_diracgan_figures_animates_what_the_caption_command_animates(tmp_path, monkeypatch, entry):
    # GIFs are slow to encode: instead of encoding again, check that `diracgan figures` and the
    # caption's `diracgan animate …` hand animate_phase the same trajectory and options (the
    # catalogue's GIF itself is compared byte for byte with the committed one above).
    from diracgan.viz import plotting

    calls = []
    monkeypatch.setattr(plotting, "animate_phase", lambda traj, path, **kw: calls.append((traj, kw)))
    catalogue.render(entry, tmp_path)
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


def test_entries_are_named_once_and_drawn_one_way():
    assert len({e.name for e in CATALOGUE}) == len({e.filename for e in CATALOGUE}) == len(CATALOGUE)
    with pytest.raises(ValueError, match="exactly one of draw= and animate="):
        catalogue.Entry("x", "x.png", "x", "diracgan figures --only x")


def test_check_in_parallel_and_a_modified_figure(rendered, tmp_path):
    names = ["eig-gp0-lambda", "stability-gp0"]      # the two cheapest entries
    for n in names:
        (tmp_path / get_entry(n).filename).write_bytes((rendered[0] / get_entry(n).filename).read_bytes())
    assert check(tmp_path, names, progress=False, jobs=2) == [(get_entry(n).filename, "ok") for n in names]
    data = bytearray((tmp_path / "eig-gp0-lambda.png").read_bytes())
    data[-100] ^= 0xFF
    (tmp_path / "eig-gp0-lambda.png").write_bytes(bytes(data))
    r = run(["figures", "--check", "--only", "eig-gp0-lambda", "--dir", tmp_path, "--jobs", "1"])
    assert r.exit_code == 1 and "differs  eig-gp0-lambda.png" in r.stdout
    assert LINE.match(r.stderr.splitlines()[0]) and "0 of 1 figures identical" in r.stderr
    (tmp_path / "eig-gp0-lambda.png").unlink()
    assert check(tmp_path, ["eig-gp0-lambda"], progress=False) == [("eig-gp0-lambda.png", "missing")]


def test_an_interrupted_parallel_render_leaves_the_manifest_consistent(tmp_path, monkeypatch):
    # Interrupted in this process after the first figure while the other worker still draws:
    # the pool is stopped (running jobs end, queued ones are cancelled) before the last manifest.
    from diracgan.errors import Interrupted

    def interrupt(self, entry, seconds):
        raise Interrupted(2)

    (tmp_path / "seed-wgan.png").write_bytes(b"old")
    monkeypatch.setattr(catalogue._Progress, "done", interrupt)
    with pytest.raises(Interrupted):
        catalogue.render_all(tmp_path, ["eig-gp0-lambda", "stability-gp0", "seed-wgan"], progress=False, jobs=2)
    files = json.loads((tmp_path / "manifest.json").read_text())["files"]
    on_disk = {p.name: catalogue._sha256(p) for p in tmp_path.iterdir() if p.name != "manifest.json"}
    assert files == on_disk and len(files) == 3
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir()), "no temporary file is left"


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


@pytest.mark.parametrize("name, dim, mode, steps", [
    ("vanilla", 2, "alternating", 3000),      # the EMA figure's game and scheme
    ("gp1", 1, "simultaneous", 400),
    ("qp", 2, "simultaneous", 400),
    ("wgan-clip", 2, "alternating", 200),     # clipping: handed to train()
    ("vanilla+noise", 1, "alternating", 50),  # Gaussian expectations: handed to train()
    ("gp0", 3, "alternating", 200),           # d > 2: handed to train()
])
def test_the_ema_figures_fast_path_gives_trains_numbers_bit_for_bit(name, dim, mode, steps):
    from diracgan import make_game, train
    from diracgan.dynamics.starts import default_start
    from diracgan.viz.entries.scalar_train import sgd_with_emas

    game = make_game(name)
    th, ph = default_start(dim)
    decays = (0.9, 0.999)
    fast = sgd_with_emas(game, th, ph, lr=0.05, mode=mode, steps=steps, record_every=3, decays=decays)
    ref = train(game, np.vstack([th, th]), np.vstack([ph, ph]), optimizer="sgd", lr=0.05, mode=mode, steps=steps,
                record_every=3, ema=np.array(decays)[:, None])
    for field in ("steps", "theta", "phi", "ema_theta", "ema_phi", "status", "stop_step"):
        np.testing.assert_array_equal(getattr(fast, field), getattr(ref, field), err_msg=field)
    assert fast.messages == ref.messages and fast.config == ref.config
    assert np.array_equal(fast.ema_gain(), ref.ema_gain())


@pytest.mark.parametrize("args, fragment", [
    (["figures", "--only", "nope"], "unknown figure 'nope'"),
    (["figures", "--jobs", "0"], "--jobs"),
    (["animate", "--out", "x.mp4"], "unknown extension"),
    (["animate", "--loss", "wgan-clip"], "discrete time"),
])
def test_bad_input(tmp_path, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    assert_usage_error(run(args), fragment, tmp_path)
