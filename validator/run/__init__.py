"""Running the checks over a file: the pipeline for one file (``pipeline``), the per-line loop
(``scan``), byte ranges on several cores (``parallel``, ``forkpool``), a Dask cluster
(``cluster``) and the quarantine split (``route``, ``split``)."""
