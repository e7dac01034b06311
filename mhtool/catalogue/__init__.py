"""The ambitions catalogue: the Plan's asks as declarative data, loaded, validated and phased."""
