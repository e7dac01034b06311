"""Running the job: settings, the run folder, its lock, manifest and log, and worker processes."""
