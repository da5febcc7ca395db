"""The report and its renderers: :class:`Report` is plain data (``model``); ``text``, ``json``,
``github`` and ``html`` turn reports into text, chosen by name through ``renderers``."""

from validator.report.model import SERVER_FIELDS, Report

__all__ = ["SERVER_FIELDS", "Report"]
