"""Terminal output: Rich rendering and the demo's sample data."""
