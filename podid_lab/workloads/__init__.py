"""Programs the lab runs as pod containers, one per container image it can run."""
