"""Planning references, measurement rules and monthly profiles: what the planning export
and plan assurance share."""
