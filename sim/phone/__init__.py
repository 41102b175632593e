"""An external SIP phone, the kind QA and trainers point at an installation instead of sipp
or baresip: it registers an account at a registrar, calls and is called, talks a test tone
and records what it hears. A component of its own host (a `[[phone]]` of a system).

sim.phone.config (PhoneConfig), sim.phone.agent (the sans-I/O user agent), sim.phone.events
and sim.phone.service (the asyncio host) are imported by name: the system's config reads
only the first, without loading the whole phone.
"""
