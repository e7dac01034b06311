"""mhtool: apportion national NHS mental health ambitions to local systems."""

__version__ = "0.1.0"
