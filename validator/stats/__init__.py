"""Describing a dataset: ``ftdata stats`` (``dataset``) and the fixed-size quantile sketch the
statistics use (``sketch``)."""
