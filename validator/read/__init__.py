"""Reading: bytes from a file, a stream or an archive (``source``), split into lines
(``lines``), and the words for a line that does not parse (``json_errors``)."""
