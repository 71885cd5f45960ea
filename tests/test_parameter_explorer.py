"""adlab.plotting.parameter_explorer: a slider in a live notebook, a static grid of panels everywhere else."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from adlab.figcheck import figure_problems  # noqa: E402
from adlab.plotting import parameter_explorer, widgets_live  # noqa: E402


def _recording_draw(calls):
    def draw(v, ax):
        calls.append(v)
        ax.plot([0, 1, 2], [0, v, 2 * v])
        ax.set(xlabel="x", ylabel="slope times x")
    return draw


def test_static_grid_draws_one_labelled_panel_per_grid_value_and_hides_the_rest():
    calls = []
    fig = parameter_explorer(_recording_draw(calls), "beta", [0.5, 1.0, 2.0, 4.0], grid_values=[0.5, 2.0, 4.0, 1.0],
                             ncols=3, title="Lines for several slopes", interactive=False)
    assert calls == [0.5, 2.0, 4.0, 1.0]
    visible = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in visible] == ["beta = 0.5", "beta = 2", "beta = 4", "beta = 1"]
    assert len(fig.axes) == 6 and sum(not ax.axison for ax in fig.axes) == 2
    assert fig._suptitle.get_text() == "Lines for several slopes"
    assert figure_problems(fig) == []
    plt.close(fig)


def test_static_grid_keeps_a_title_the_draw_function_set():
    def draw(v, ax):
        ax.plot([0, 1], [0, v])
        ax.set(xlabel="x", ylabel="y", title=f"my own title {v}")

    fig = parameter_explorer(draw, "a", [1, 2], interactive=False)
    assert [ax.get_title() for ax in fig.axes] == ["my own title 1", "my own title 2"]
    plt.close(fig)


def test_no_slider_in_fast_mode_with_the_static_switch_or_outside_a_kernel(monkeypatch):
    monkeypatch.delenv("ADLAB_STATIC_FIGURES", raising=False)
    monkeypatch.delenv("ADLAB_FAST", raising=False)
    assert widgets_live() is False            # pytest is not a Jupyter kernel
    monkeypatch.setenv("ADLAB_FAST", "1")
    assert widgets_live() is False
    monkeypatch.delenv("ADLAB_FAST")
    monkeypatch.setenv("ADLAB_STATIC_FIGURES", "1")
    assert widgets_live() is False


def test_no_slider_outside_a_kernel_means_the_default_draws_the_grid(monkeypatch):
    monkeypatch.delenv("ADLAB_FAST", raising=False)
    calls = []
    fig = parameter_explorer(_recording_draw(calls), "k", [1.0, 3.0])
    assert isinstance(fig, plt.Figure) and calls == [1.0, 3.0]
    plt.close(fig)


def test_slider_mode_starts_at_value_and_redraws_for_the_chosen_value():
    pytest.importorskip("ipywidgets")
    calls = []
    widget = parameter_explorer(_recording_draw(calls), "alpha", [0.1, 1.0, 10.0], value=1.0, interactive=True)
    slider = widget.children[0]
    assert list(slider.options) == [("0.1", 0.1), ("1", 1.0), ("10", 10.0)]
    assert slider.description == "alpha" and slider.value == 1.0
    assert calls == [1.0]
    slider.value = 10.0
    assert calls == [1.0, 10.0]
    plt.close("all")


@pytest.mark.parametrize("kwargs, match", [
    ({"values": []}, "at least one value"),
    ({"values": [1, 2], "value": 3}, "not one of the values"),
    ({"values": [1, 2], "grid_values": []}, "grid_values"),
    ({"values": [1, 2], "ncols": 0}, "ncols"),
])
def test_bad_arguments_raise_a_clear_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        parameter_explorer(lambda v, ax: None, "p", interactive=False, **kwargs)


def test_a_draw_that_is_not_callable_is_rejected():
    with pytest.raises(ValueError, match="callable"):
        parameter_explorer("not a function", "p", [1], interactive=False)


EXPLORE = """import matplotlib.pyplot as plt
from adlab.plotting import parameter_explorer

def draw(v, ax):
    ax.plot([0, 1], [0, v])
    ax.set(xlabel="x", ylabel="v times x")

parameter_explorer(draw, "v", [1.0, 2.0, 3.0], title="Lines for several slopes")
plt.show()
"""


def _outputs_in_a_kernel(tmp_path, monkeypatch, fast: bool):
    pytest.importorskip("ipywidgets")
    import nbformat
    from nbclient import NotebookClient

    if fast:
        monkeypatch.setenv("ADLAB_FAST", "1")
    else:
        monkeypatch.delenv("ADLAB_FAST", raising=False)
    monkeypatch.delenv("ADLAB_STATIC_FIGURES", raising=False)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(EXPLORE)])
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    return [key for o in nb.cells[0].outputs for key in o.get("data", {})]


def test_a_live_kernel_gets_a_slider_and_a_fast_kernel_a_static_grid(tmp_path, monkeypatch):
    live = _outputs_in_a_kernel(tmp_path, monkeypatch, fast=False)
    assert "application/vnd.jupyter.widget-view+json" in live and "image/png" not in live, live
    fast = _outputs_in_a_kernel(tmp_path, monkeypatch, fast=True)
    assert "image/png" in fast and "application/vnd.jupyter.widget-view+json" not in fast, fast
