"""model/: the component registry, manifest, config, names, semver, bump policy and the JSON Schemas."""
