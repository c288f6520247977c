"""The plot functions, one module per figure kind, all drawing in the one style of :mod:`.style`.

:mod:`.phase` (phase portraits and distance curves), :mod:`.eigen` (eigenvalue paths),
:mod:`.training` (training runs), :mod:`.stability` (stability maps), :mod:`.animation` (GIFs).
Import the public names from :mod:`diracgan.viz.plotting` (or ``diracgan``), which re-exports
them all; import from these modules when writing a new figure (e.g. a catalogue entry).
"""
