"""Commands that show the registry and its pictures: ``games``, ``figures``, ``explore``."""

from __future__ import annotations

import time

import click

from ..errors import InputError
from .options import LOSS_CHOICE


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--markdown", is_flag=True, help="The registry as a Markdown table (as in the README).")
def games(as_json, markdown):
    """List the games: losses, derived fields, parameters, references."""
    from .games_cache import rendering

    if as_json and markdown:
        raise InputError("give --json or --markdown, not both")
    # The stored rendering (derived once, checked by a test), so listing needs no sympy.
    click.echo(rendering("json" if as_json else "markdown" if markdown else "text"))


@click.command()
@click.option("--only", multiple=True, metavar="NAME", help="Render only this entry (repeatable).")
@click.option("--check", "check_only", is_flag=True,
              help="Render into a temporary folder and exit 1 if any committed figure differs.")
@click.option("--dir", "folder", type=click.Path(file_okay=False), default="figures", show_default=True,
              help="The figures folder.")
@click.option("--list", "list_only", is_flag=True, help="List the catalogue and exit.")
@click.option("--style", type=click.Choice(["paper", "talk"]), default="paper", show_default=True,
              help="talk: slide-ready (larger fonts, thicker lines); needs --dir other than figures/.")
@click.option("--jobs", "-j", type=click.IntRange(min=1, max=64), default=2, show_default=True,
              help="Worker processes drawing at once (1: all in this process); the files are the same.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar  [default: a bar on a terminal, else one line per figure on stderr]")
def figures(only, check_only, folder, list_only, style, jobs, progress):
    """Regenerate every figure of the catalogue (byte-identical for the same library versions)."""
    import os

    from ..viz.catalogue import CATALOGUE, check, get_entry, render_all

    for name in only:
        get_entry(name)
    if list_only:
        for e in CATALOGUE:
            click.echo(f"{e.name:<20} {e.filename:<24} {e.caption}")
        return
    if check_only:
        results = check(folder, list(only) or None, progress=progress, jobs=jobs)
        bad = [(f, s) for f, s in results if s != "ok"]
        for f, s in results:
            click.echo(f"{s:<8} {f}")
        click.echo(f"{len(results) - len(bad)} of {len(results)} figures identical to a fresh render", err=True)
        return 1 if bad else 0
    from ..io import check_output_folder

    check_output_folder(folder)
    if style != "paper" and os.path.abspath(folder) == os.path.abspath("figures"):
        raise InputError("--style talk writes slide versions; give another folder with --dir (figures/ holds the "
                         "committed paper style)")
    t0 = time.perf_counter()
    paths = render_all(folder, list(only) or None, progress=progress, style=style, jobs=jobs)
    click.echo(f"rendered {len(paths)} figure(s) into {folder}/ in {time.perf_counter() - t0:.1f} s", err=True)


@click.command()
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write the page to this .html file  [default: explorer.html unless --serve]")
@click.option("--serve", is_flag=True, help="Serve the page on http://127.0.0.1:PORT/ until Ctrl-C.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port for --serve (loopback only; 0 takes a free port).")
@click.option("--loss", "-l", "initial", type=LOSS_CHOICE, default=None, help="The game shown first.")
def explore(out, serve, port, initial):
    """An interactive explorer in the browser: one self-contained HTML page (no network), with
    every game and regulariser, the flow and discrete training, and J(0)'s exact eigenvalues,
    all generated from the same sympy derivation."""
    from ..io import check_output

    if out is None and not serve:
        out = "explorer.html"
    if out is not None:
        check_output(out, (".html",))
    from ..viz.explorer import explore as build, make_server

    page = build(initial=initial)
    server = make_server(page.html, port) if serve else None   # fail on a busy port before writing
    if out is not None:
        page.save(out)
        click.echo(f"wrote {out} ({len(page.html.encode('utf-8')) / 1000:.0f} kB); open it in a browser", err=True)
    if server is not None:
        host, bound = server.server_address[:2]
        click.echo(f"serving the explorer at http://{host}:{bound}/ (Ctrl-C stops)", err=False)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            click.echo("stopped.", err=True)
        finally:
            server.server_close()
