"""The ground floor of a run: its folder's file names, paths, the atomic swap, the lock, the
log, the manifest, worker processes, progress, stop signals and library versions."""
