"""One replication of the system: the engine, random streams, entities, arrivals, agencies, pathways and the
records they write. Imports only from :mod:`sim.scenario` (and the shared vocabulary).

Its modules run compiled when the install compiled them and they are up to date (:mod:`sim.model.build`).
"""

from sim.model.build import choose_build

choose_build()
