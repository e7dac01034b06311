"""delivery.csv, published actual delivery beside the fair shares: the writer (write.py)
and its checker (check.py); the table itself is the delivery view (views/delivery.py)."""
