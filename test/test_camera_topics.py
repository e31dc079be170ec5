"""nodes/camera_topics: which topics each camera gets, and the batch limit, without ROS."""

from __future__ import annotations

import pytest

from yolo_nano_ros.nodes.camera_topics import CameraConfigError, CameraTopics, batch_limit, camera_topics


def test_no_cameras_is_the_single_input_of_before():
    for empty in (None, [], [""], ["  "]):
        assert camera_topics(empty, False) == [CameraTopics("", "image", "detections", "debug_image")]
    assert camera_topics([""], True)[0].image == "image/compressed"


def test_each_camera_gets_relative_topics_under_its_name():
    topics = camera_topics(["front", "rear/left"], compressed=True)
    assert topics == [CameraTopics("front", "front/image/compressed", "front/detections", "front/debug_image"),
                      CameraTopics("rear/left", "rear/left/image/compressed", "rear/left/detections",
                                   "rear/left/debug_image")]
    assert [t.label for t in camera_topics(["a", "b"], False)] == ["a", "b"] and topics[0].image[0] != "/"


@pytest.mark.parametrize("names, says", [(["/abs"], "'/abs' is not a relative ROS name"),
                                         (["2nd"], "'2nd' is not"), (["a b"], "'a b' is not"),
                                         (["a/"], "'a/' is not"), (["a", "b", "a"], "a listed more than once")])
def test_names_that_cannot_be_topics_are_refused_saying_which(names, says):
    with pytest.raises(CameraConfigError, match=says):
        camera_topics(names, False)


def test_batch_limit_is_one_frame_per_camera_unless_capped():
    assert batch_limit(0, 4) == 4 and batch_limit(2, 4) == 2 and batch_limit(8, 4) == 4 and batch_limit(0, 1) == 1
    with pytest.raises(CameraConfigError, match="max_batch: -1 is negative"):
        batch_limit(-1, 4)
