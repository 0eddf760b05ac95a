"""Load: the data model, readers for real exports, column mappings, validation, the SQL engine
and the demo center."""
