"""The rules of the domain, pure: no clock, no process table, no file system, no network.

Each module takes what it needs as arguments (events, dates, settings) and returns values:
the statutory clock, what a reply is, which request it belongs to, where a letter stands,
where a request stands, and whom to chase.
"""
