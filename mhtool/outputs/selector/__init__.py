"""selector.xlsx, every organisation in one workbook: the writer (write.py) and its checker
(check.py)."""
