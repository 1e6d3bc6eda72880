"""The agencies a child's case passes through. Agencies know nothing of pathways: they hold capacity."""
