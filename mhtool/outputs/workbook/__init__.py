"""The Excel workbooks: the writer (write.py) and its fast column-wise worksheet (fastsheet.py)."""
