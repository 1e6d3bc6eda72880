"""One replication of the system: the engine, random streams, entities, arrivals, agencies, pathways and the
records they write. Imports only from :mod:`sim.scenario` (and the shared vocabulary).
"""
