"""A room of learners on one machine: JupyterHub, one Unix user per learner, the instructor's view.

Separate from the tutorial's helpers and lab: a learner never needs it, an instructor runs it
(`podid-room start`). The learners' Jupyter servers load `podid_room.progress`; the hub runs
`podid_room.view` as a service.
"""
