"""Two runs compared: the change maths (changes.py) and its CSV, workbook and terminal
lines (write.py); `mhtool diff` runs it."""
