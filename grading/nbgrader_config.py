# nbgrader's configuration for this course: copy it into your course directory (the folder that
# holds source/, release/, submitted/, autograded/ and the gradebook), as TEACHING.md's "Grading with
# nbgrader" says. tools/nbgrader_check.py uses this file too, in CI.
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import NbGraderPreprocessor

c = get_config()  # noqa: F821 - nbgrader loads this file with get_config defined

c.CourseDirectory.course_id = "dqn-course"

# The notebooks train agents: a cell may run for a few minutes (nbgrader's default is 30 s).
c.Execute.timeout = 1200

# nbgrader's own stubs (its defaults, spelled out): `make student` writes the same ones.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"


class StudentView(NbGraderPreprocessor):
    """What `make student` does besides clearing solutions, so that both copies have the same cells:
    a stub is not collapsed (the course collapses its solution cells, so that a learner reading the
    instructor's copy does not see an answer by accident), and a checker cell (an autograded test)
    loses the course's test marker (nbval compares the checker's output in the instructor's copy)."""

    def preprocess_cell(self, cell, resources, index):
        nbgrader = cell.metadata.get("nbgrader", {})
        if nbgrader.get("solution"):
            cell.metadata.pop("jupyter", None)
        elif nbgrader.get("grade") and cell.cell_type == "code" and cell.source.startswith("# NBVAL_CHECK_OUTPUT\n"):
            cell.source = cell.source[len("# NBVAL_CHECK_OUTPUT\n"):]
        return cell, resources


c.GenerateAssignment.preprocessors = [StudentView, *GenerateAssignment.class_traits()["preprocessors"].default()]
