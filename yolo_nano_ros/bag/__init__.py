"""rosbag2 tools without a ROS install (rosbags): dataset -> bag, bag -> frames, evaluation."""
