"""The live site map (issue 14 item 3): the supervisor's own view of the emulated site for
trainers, served on the control API (server), fed by a reading of the system (view, feed),
drawn by the page in static/, measured by bench."""
