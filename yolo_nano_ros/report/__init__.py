"""One self-contained HTML page per evaluation (report.html): numbers, plots and the worst frames, for a
laptop or a pull request, with nothing fetched from the network."""
