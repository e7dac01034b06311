"""Plan assurance: read system plans (read.py), compare them with a run's fair shares
(compare.py) and write the results (write.py); `mhtool assure` runs it."""
