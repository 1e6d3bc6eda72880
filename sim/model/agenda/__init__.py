"""The day-by-day agenda: the model with cases as rows of numpy columns, moved on a day at a time
(:mod:`sim.model.agenda.replication`)."""
