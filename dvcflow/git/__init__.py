"""Every git call: the repository, the staged and workspace views, commits, the blob cache."""
