"""hvlab: the Hyper-V lab (digital twin) used by the tests and the demo."""
