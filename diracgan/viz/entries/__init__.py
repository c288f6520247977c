"""The entries of the figure catalogue, one module per topic (see :mod:`diracgan.viz.catalogue`).

:mod:`.entry` (the :class:`~.entry.Entry` record), :mod:`.flows` (gradient-flow figures and
animations), :mod:`.discrete` (discrete training), :mod:`.local` (the local analysis at the
equilibrium), :mod:`.scalar_train` (an exact fast path of ``train`` for one start).

To add an entry: define it in a module here (a new one for a new topic) with a ``draw(style)``
returning a Figure drawn with :mod:`diracgan.viz.plots`, list it in ``CATALOGUE`` in
:mod:`diracgan.viz.catalogue`, run ``diracgan figures --only NAME`` and commit the file and
``figures/manifest.json``; the README gallery shows it with its ``command``.
"""
