"""What DVC reads, read without importing DVC: YAML, schema, pipelines, locks, `.dvc` files,
projects, params, hashes, templating, and the status of a workspace."""
