"""Animations: a GIF of one run moving in its plane while its distance panel fills in (the
``diracgan animate`` file).  The static part is drawn once and only the moving artists are
blitted per frame; frames go to Pillow as matplotlib's PillowWriter would give them.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ...dynamics.flow import Trajectories
from ...io import atomic_output, check_output
from .phase import plot_vector_field
from .style import PALETTE, auto_scale, line_width, mark_equilibrium, mark_start, marker_size, rc_params

__all__ = ["animate_phase"]


def animate_phase(traj: Trajectories, path, *, frames: int = 80, fps: int = 20, trail: bool = True,
                  title: str | None = None, style: str = "paper", dpi: int = 110,
                  progress: bool | None = False) -> Path:
    """Write a GIF of run 0 moving in its plane, with the distance panel filling in.

    Parameters
    ----------
    traj : Trajectories
        The run to animate (run 0): the θ-plane, or the (θ, φ) plane with its field for d = 1.
    path : str or Path
        A ``.gif`` file (written atomically, through matplotlib's PillowWriter).
    frames, fps : int
        Number of frames and frames per second.
    trail : bool
        Draw the path travelled so far.
    title : str, optional
    style : {"paper", "talk"}
    dpi : int
        Resolution (the default 110 gives about 1000 × 480 pixels, large enough for a projector).
    progress : bool or None
        A tqdm.auto bar over the frames: False none, True always, None on a terminal.

    Returns
    -------
    Path
    """
    path = check_output(path, (".gif",))
    if int(frames) != frames or frames < 2:
        raise ValueError(f"frames must be a whole number ≥ 2, got {frames!r}")
    t, z = traj.run(0)
    d = traj.dim
    idx = np.unique(np.linspace(0, len(t) - 1, int(frames)).round().astype(int))
    if len(idx) < frames:   # fewer samples than frames: interpolate the times
        idx = np.linspace(0, len(t) - 1, int(frames)).round().astype(int)
    with matplotlib.rc_context(rc_params(style)):
        fig = Figure(figsize=(9.0, 4.3), dpi=dpi, layout="constrained")
        ax, ax_n = fig.subplots(1, 2, width_ratios=[1.0, 1.2])
        if d == 1:
            extent = max(float(np.abs(z).max()) * 1.15, 0.1)
            plot_vector_field(ax, traj.game, extent, density=0.9)
            xs, ys = z[:, 0], z[:, 1]
            ax.set_xlabel("θ")
            ax.set_ylabel("φ")
        else:
            xs, ys = z[:, 0], z[:, 1]
            pad = 0.1 * max(np.ptp(xs), np.ptp(ys), 1e-3)
            ax.set_xlim(min(xs.min(), 0) - pad, max(xs.max(), 0) + pad)
            ax.set_ylim(min(ys.min(), 0) - pad, max(ys.max(), 0) + pad)
            ax.set_xlabel("θ$_1$")
            ax.set_ylabel("θ$_2$")
        ax.set_aspect("equal", adjustable="box")
        mark_equilibrium(ax)
        mark_start(ax, [xs[0]], [ys[0]], PALETTE["blue"])
        (line,) = ax.plot([], [], color=PALETTE["blue"], lw=line_width(1.4))
        (dot,) = ax.plot([], [], "o", color=PALETTE["orange"], mec=PALETTE["black"], mew=0.6, ms=marker_size(8),
                         zorder=8, label="now")
        dist = np.maximum(np.linalg.norm(z, axis=1), 1e-16)
        ax_n.set_xlim(t[0], t[-1])
        log = auto_scale(ax_n, [dist])
        if log:
            ax_n.set_ylim(dist.min() / 1.5, dist.max() * 1.5)
        (ln_d,) = ax_n.plot([], [], color=PALETTE["black"], lw=line_width(1.4), label="‖(θ, φ)‖")
        ax_n.set_xlabel("time t")
        ax_n.set_ylabel("distance to θ = φ = 0" + (" (log scale)" if log else ""))
        ax_n.grid(True, lw=0.3, alpha=0.5)
        clock = ax_n.text(0.98, 0.96, "", transform=ax_n.transAxes, ha="right", va="top",
                          fontsize=matplotlib.rcParams["axes.titlesize"] * 1.15, family="monospace",
                          bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="0.7"))
        label = traj.game.label() if traj.game is not None else "field"
        fig.suptitle(title or f"{label}, d = {d}, gradient flow to T = {t[-1]:g}")
        width = len(f"{t[-1]:.1f}")

        def draw(k):
            i = idx[k]
            if trail:
                line.set_data(xs[: i + 1], ys[: i + 1])
            dot.set_data([xs[i]], [ys[i]])
            ln_d.set_data(t[: i + 1], dist[: i + 1])
            clock.set_text(f"t = {t[i]:{width}.1f}")
            return line, dot, ln_d, clock

        # Lay the figure out once (with every artist in its final state), then draw the static
        # part once and blit only the moving artists onto it for each frame: redrawing the axes'
        # ticks and labels per frame was most of the cost.  Frames go to Pillow as
        # PillowWriter would give them (RGB, one duration, looping).
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from PIL import Image

        moving = (line, dot, ln_d, clock)
        draw(len(idx) - 1)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        fig.set_layout_engine("none")
        for artist in moving:
            artist.set_animated(True)
        canvas.draw()
        background = canvas.copy_from_bbox(fig.bbox)
        images = []
        from tqdm.auto import tqdm

        for k in tqdm(range(len(idx)), desc="frames", unit="frame", leave=False,
                      disable=None if progress is None else not progress):
            draw(k)
            canvas.restore_region(background)
            for artist in moving:
                fig.draw_artist(artist)
            images.append(Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA",
                                           0, 1).convert("RGB"))
        with atomic_output(path) as tmp:
            images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps),
                           loop=0)
    return path
