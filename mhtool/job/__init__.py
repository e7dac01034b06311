"""The job: the one run pipeline behind `mhtool run` and `mhtool refresh`, its settings, and
replaying a run from its manifest (the roof: it calls every layer below)."""
