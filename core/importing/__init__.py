"""Reading customer files and writing their contacts (issue 14), under the one import
service ``core/services/contact_imports.py``.

- ``files``: open a CSV (delimiter, encoding UTF-8 / Windows-1252 / Latin-1, BOM) or an
  XLSX file and stream its rows;
- ``mapping``: the contact fields a column can go to, and guesses from the headers;
- ``rows``: one file row to a validated :class:`rows.ContactRow`, or errors with column
  and reason; the error CSV;
- ``engine``: apply a batch of rows to the database (set-based; never downgrades data).
"""
