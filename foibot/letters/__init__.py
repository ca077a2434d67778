"""Every letter foibot writes: rendering, request batches, follow-ups, chasers and drafts."""
