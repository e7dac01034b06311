"""The offline HTML report: the writer (write.py) and its checker (check.py)."""
