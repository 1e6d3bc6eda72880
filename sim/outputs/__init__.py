"""What a reader sees: figures, the run report, the OCEL journey log and one child's journey in words."""
