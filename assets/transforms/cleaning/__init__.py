"""Parts of the Comtrade cleaning stage (`assets.transforms.comtrade_cleaning` is the entry point).

What belongs here: the vocabularies and normalizers of Comtrade codes (`codes`), the per-row reject rules
(`row_rules`), duplicate resolution (`duplicates`), building the clean and totals facts (`facts`), and the
pure checks run on the results (`consistency`, `conservation`). Nothing here imports dagster.
"""
