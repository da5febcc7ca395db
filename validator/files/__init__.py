"""The file types that are not JSON lines: pre-tokenized Parquet (``parquet``) and eval CSV
(``csv``). Each reads its file in bounded pieces and reports rows as lines."""
