"""TEST BLOCKER: makes ROS 2's Python packages unimportable, as on a laptop without ROS.

On PYTHONPATH for the non-`ros` half of `make test`: a test that needs rclpy but lacks the `ros` marker
then fails instead of passing by luck of the venv. `import` raises the ModuleNotFoundError a missing
package raises, and importlib.util.find_spec answers None, as for a package that is not installed.
"""

import importlib.util
import sys

BLOCKED = {"rclpy", "rcl_interfaces", "sensor_msgs", "std_msgs", "std_srvs", "vision_msgs", "diagnostic_msgs",
           "lifecycle_msgs", "geometry_msgs", "builtin_interfaces", "launch", "launch_ros", "ament_index_python",
           "rosidl_runtime_py", "rosidl_parser", "rclpy_message_converter", "cv_bridge", "sensor_msgs_py"}


class NoRos:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (ROS blocked for this run)", name=name)
        return None


def _find_spec(name, package=None, _real=importlib.util.find_spec):
    return None if name.split(".")[0] in BLOCKED else _real(name, package)


sys.meta_path.insert(0, NoRos())
importlib.util.find_spec = _find_spec
