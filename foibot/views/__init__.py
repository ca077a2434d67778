"""What a person reads: the board, a request's timeline, the report and the exports."""
