"""A user's input file, read safely and one row at a time.

`opening.open_regular` opens only a regular file (a FIFO, a device or a directory is refused
at once, without blocking) and refuses one over its size limit; `lines.text_lines` yields its
lines, decoded as UTF-8, and stops when the file grows past the limit while being read;
`csv_rows.csv_records` applies the header rules and yields the records. Every refusal is one
InvalidInput (exit 2 in the CLI).
"""
