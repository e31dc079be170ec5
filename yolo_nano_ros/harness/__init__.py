"""Running nodes as child processes: DDS environment, process groups, the detector child."""
