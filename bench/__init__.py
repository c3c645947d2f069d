"""The mockserver benchmark suite (not part of the package; run with `python -m bench`)."""
