"""adlab.figcheck: the figure check every course notebook's plt.show() runs under test."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from adlab.figcheck import check_figure, figure_problems  # noqa: E402


def _good_axes(ax):
    ax.plot([0, 1, 2], [0, 1, 4], label="y = x²")
    ax.set(xlabel="x", ylabel="y", title="a parabola, three points")


def test_a_labelled_titled_figure_passes():
    fig, ax = plt.subplots()
    _good_axes(ax)
    ax.annotate("", xy=(2, 4), xytext=(1, 1), arrowprops=dict(arrowstyle="->"))
    assert figure_problems(fig) == []
    check_figure(fig)
    plt.close(fig)


def test_an_empty_axes_is_reported():
    fig, axes = plt.subplots(1, 2)
    _good_axes(axes[0])
    axes[1].set(xlabel="x", ylabel="y", title="nothing in here")
    problems = figure_problems(fig)
    assert len(problems) == 1 and "empty" in problems[0]
    with pytest.raises(AssertionError, match="empty"):
        check_figure(fig)
    plt.close(fig)


def test_an_arrow_starting_off_canvas_is_reported():
    # the notebook-09 bug: arrows drawn from the origin, which the limits do not contain
    fig, ax = plt.subplots()
    ax.scatter([5, 6], [5, 6], label="codes")
    ax.set(xlim=(4, 7), ylim=(4, 7), xlabel="z1", ylabel="z2", title="codes and memory items")
    ax.annotate("", xy=(6, 6), xytext=(0, 0), arrowprops=dict(arrowstyle="->"))
    problems = figure_problems(fig)
    assert len(problems) == 1 and "annotation" in problems[0] and "outside" in problems[0]
    plt.close(fig)


def test_a_line_entirely_outside_the_limits_is_reported():
    fig, ax = plt.subplots()
    _good_axes(ax)
    ax.plot([10, 11], [10, 12], label="far away")
    ax.set(xlim=(0, 2), ylim=(0, 4))
    problems = figure_problems(fig)
    assert len(problems) == 1 and "'far away'" in problems[0]
    plt.close(fig)


def test_a_bar_outside_the_limits_is_reported_and_reference_lines_are_not():
    fig, ax = plt.subplots()
    ax.bar([0, 1, 5], [1, 2, 3])
    ax.axhline(1.5, ls="--")  # blended transform: never "outside"
    ax.set(xlim=(-0.5, 1.5), xlabel="item", ylabel="height", title="three bars, one cut off")
    problems = figure_problems(fig)
    assert len(problems) == 1 and "bar at x=4.6" in problems[0]
    plt.close(fig)


def test_missing_labels_and_raw_key_titles_are_reported():
    fig, ax = plt.subplots()
    ax.plot(np.arange(3), np.arange(3))
    ax.set_title("min_proto_dist")
    problems = figure_problems(fig)
    assert any("no x label" in p for p in problems) and any("no y label" in p for p in problems)
    assert any("title in words" in p for p in problems)
    plt.close(fig)


def test_shared_axes_and_a_suptitle_cover_their_panels():
    fig, axes = plt.subplots(1, 2, sharey=True)
    for ax in axes:
        ax.plot([0, 1], [0, 1])
        ax.set_xlabel("step")
    axes[0].set_ylabel("value")
    fig.suptitle("two panels sharing a y axis")
    assert figure_problems(fig) == []
    plt.close(fig)


def _run_in_kernel(tmp_path, monkeypatch, source):
    """Execute one code cell in a fresh kernel started the way the test suite starts notebook kernels."""
    import nbformat
    from nbclient import NotebookClient

    import os

    # the root conftest.py points PYTHONSTARTUP at tests/notebook_kernel_startup.py for every kernel
    assert os.environ.get("PYTHONSTARTUP", "").endswith("notebook_kernel_startup.py")
    monkeypatch.setenv("ADLAB_FIGCHECK", "all")    # check even outside notebooks/
    monkeypatch.setenv("MPLBACKEND", "Agg")        # what `make test` exports; the kernel must override it
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb.cells[0].outputs


GOOD = """import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([0, 1], [0, 1])
ax.set(xlabel="x", ylabel="y", title="a straight line")
plt.show()
"""


def test_notebook_kernels_render_figures_inline_and_check_them(tmp_path, monkeypatch):
    from nbclient.exceptions import CellExecutionError

    outputs = _run_in_kernel(tmp_path, monkeypatch, GOOD)
    assert any("image/png" in o.get("data", {}) for o in outputs), "the figure was not rendered (Agg backend?)"
    bad = GOOD.replace('ax.set(xlabel="x", ylabel="y", title="a straight line")', 'ax.set(xlim=(5, 6))')
    with pytest.raises(CellExecutionError, match="figure check failed"):
        _run_in_kernel(tmp_path, monkeypatch, bad)
