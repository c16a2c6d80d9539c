"""Files in: uploaded workbooks and CSVs, read safely into rows of text."""
