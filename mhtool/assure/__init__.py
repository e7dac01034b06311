"""Plan assurance: read system plans (read.py) and compare them with a run's fair shares
(compare.py); mhtool.outputs.assurance writes the results, `mhtool assure` runs it."""
