"""dvcflow: keep DVC pipelines, dvc.lock, params and MLflow runs reproducible at every commit."""

from __future__ import annotations

__version__ = "0.1.0"
