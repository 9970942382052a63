"""What a manifest is, with no I/O but reading the text it is given: the component registry (each component
kind described once), the manifest, `.gitmodel.yaml`, names, semver, the bump policy, their JSON Schemas.

May import: gitmodel.infra. A new component kind goes in components.py (the registry), plus only the code that is
truly new for that kind.
"""
