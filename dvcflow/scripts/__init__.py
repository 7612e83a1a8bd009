"""What a stage's `cmd` runs and what those scripts import, read statically (never run)."""
