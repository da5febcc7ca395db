"""ftdata's benchmarks: ``python -m benchmarks`` (``make bench``) measures speed and memory
against the JSON-parse floor and the together SDK; :mod:`benchmarks.generate` writes the data."""
