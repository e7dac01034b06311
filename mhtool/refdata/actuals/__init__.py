"""Published actual delivery as reference tables: one module per source (nhstt.py, phsmi.py)
and moving their values onto a shipped geography (move.py)."""
