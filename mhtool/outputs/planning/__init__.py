"""The planning export in the NHS operational planning long layout: the writer (write.py)."""
