"""Dependency declarations in every format projects use, and the versions installed here."""
