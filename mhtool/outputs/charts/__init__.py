"""The charts: one PNG per organisation charted (write.py)."""
