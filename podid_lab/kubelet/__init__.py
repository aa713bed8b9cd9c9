"""The node side of the lab's clusters: which images can run, and the runtime that runs them."""
