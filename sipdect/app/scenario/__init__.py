"""Scenario files: a system, steps in order or at times, expectations with deadlines; run by
`sipdect scenario run`, reported as text and JUnit XML (docs/scenarios.md, issue 13 part 2).

model (the steps as data), parse (TOML to model, every mistake named by file, step and key),
match (attribute matching), junit (the report) are pure; runner plays a scenario on a
`sipdect.Site`; run (the command) opens the site, runs each file and writes the report.
"""
