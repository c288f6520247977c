"""Notebook display and table conversion shared by the result classes.

Short ``__repr__``s, ``_repr_html_`` tables for Jupyter, and the long-format / labelled-array
conversions behind ``to_dataframe()`` (pandas) and ``to_xarray()`` (xarray).  pandas and xarray
are optional: without them the conversion raises an ImportError that says what to install.
"""

from __future__ import annotations

import html
import importlib

import numpy as np

__all__ = ["html_table", "optional_import", "array_frame", "array_dataset"]


def optional_import(name: str, what: str):
    """Import an optional dependency or raise an ImportError that names the pip command."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ImportError(f"{what} needs {name}, which is not installed: pip install {name}") from None


def html_table(title: str, rows: list[tuple[str, object]]) -> str:
    """A small two-column HTML table (Jupyter's rich display of a result)."""
    body = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                   f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table><caption style='text-align:left'><b>{html.escape(title)}</b></caption>{body}</table>"


def _columns(arrays: dict[str, np.ndarray], d: int) -> dict[str, np.ndarray]:
    out = {}
    for name, arr in arrays.items():     # (N, S, d) → N·S rows, one column per coordinate
        for k in range(d):
            out[f"{name}_{k + 1}"] = arr[..., k].reshape(-1)
    return out


def array_frame(index_name: str, index: np.ndarray, arrays: dict[str, np.ndarray], runs: dict[str, np.ndarray],
                what: str):
    """Long format: one row per (run, sample), columns ``run``, ``index_name``, θ and φ
    coordinates (``theta_1`` …) and the per-run columns ``runs`` (e.g. status)."""
    pd = optional_import("pandas", what)
    first = next(iter(arrays.values()))
    n, s, d = first.shape
    data = {"run": np.repeat(np.arange(n), s), index_name: np.tile(index, n)}
    data.update(_columns(arrays, d))
    for name, values in runs.items():
        data[name] = np.repeat(np.asarray(values), s)
    return pd.DataFrame(data)


def array_dataset(index_name: str, index: np.ndarray, arrays: dict[str, np.ndarray], runs: dict[str, np.ndarray],
                  attrs: dict, what: str):
    """An ``xarray.Dataset`` with dimensions (run, ``index_name``, coordinate)."""
    xr = optional_import("xarray", what)
    first = next(iter(arrays.values()))
    n, s, d = first.shape
    coords = {"run": np.arange(n), index_name: index, "coordinate": np.arange(1, d + 1)}
    data = {name: (("run", index_name, "coordinate"), arr) for name, arr in arrays.items()}
    data.update({name: (("run",), np.asarray(values)) for name, values in runs.items()})
    return xr.Dataset(data, coords=coords, attrs=attrs)
