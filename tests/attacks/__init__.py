"""The adversary's tests: each tries to break one promise (the gate, placement, paths, output), across layers."""
