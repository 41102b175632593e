"""The application on top of the components: the `sipdect` command, the config schema, the
supervisor of hosts, the control API, the library face (Emulator) and pytest plugin, the
benchmarks. It may import every layer below; nothing below imports it (docs/architecture.md).
"""
