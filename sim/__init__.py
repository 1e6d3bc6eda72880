"""Discrete-event simulation of children's journeys through the family justice system."""
