"""What the local backend remembers and how it misbehaves on demand.

`config` (the settings model) and `live_config` (the settings in force); `store` (users, tokens,
sessions, credits, renders, the request log) over the plain `records` it keeps, and `clock`
(simulated time); kept on disk, the store saves a `snapshot` to its `shared_file`, and `presence`
tells which other backends over the same folder still run; `faults` (failures armed on demand)
with `fault_spec`, their JSON form. Nothing here knows about HTTP, the agent or media files.
"""
