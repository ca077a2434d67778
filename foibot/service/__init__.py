"""``foibot run``: the schedule of jobs, the service that runs them, and notifications."""
