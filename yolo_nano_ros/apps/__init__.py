"""Console scripts: argument parsing and output around the cores."""
