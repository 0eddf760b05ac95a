"""The dashboards' views in-process: what each one puts into its Output widget.

The views set the widget's outputs directly and never capture with ``with out:``; under Voila
that capture makes the notebook client write to the kernel's shell socket while it waits for
the cell's reply, and page loads then hang (see ``dashboard.show``). Outside a kernel a
capturing view leaves ``out.outputs`` empty, so these tests fail on one.
"""

from __future__ import annotations

import base64
import re
import shutil

import ipywidgets as w
import pytest

from qaworkbench import coaching
from qaworkbench.dashboards import views as dashboard
from qaworkbench.privacy import find_unmasked


@pytest.fixture(scope="module")
def data(tmp_path_factory, small_dir):
    d = tmp_path_factory.mktemp("views") / "center"
    shutil.copytree(small_dir, d)
    return dashboard.DashboardData(d)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return coaching.connect(f"sqlite:///{tmp_path_factory.mktemp('store') / 'c.db'}")


def html_of(out: w.Output) -> str:
    return "".join(o["data"].get("text/html", "") for o in out.outputs)


def test_the_agent_view_fills_its_widget_with_title_chart_and_tables(data, store):
    out = w.Output()
    agent = data.roster.index[0]
    dashboard.show_agent(out, data, agent, data.default_month, store)
    assert out.msg_id == ""  # never captured
    kinds = [next(k for k in o["data"] if k != "text/plain") for o in out.outputs]
    assert kinds[0] == "text/html" and "image/png" in kinds
    assert re.search(rf'<h2 id="agent-title">{agent} ', html_of(out))
    png = next(o["data"]["image/png"] for o in out.outputs if "image/png" in o["data"])
    assert base64.b64decode(png).startswith(b"\x89PNG")
    assert find_unmasked(html_of(out)) == []
    assert "<table" in html_of(out)


def test_a_redraw_replaces_what_was_shown(data, store):
    out = w.Output()
    first, second = data.roster.index[:2]
    dashboard.show_agent(out, data, first, data.default_month, store)
    dashboard.show_agent(out, data, second, data.default_month, store)
    assert f'id="agent-title">{second} ' in html_of(out)
    assert f'id="agent-title">{first} ' not in html_of(out)


def test_meeting_pareto_and_drill_fill_their_widgets(data):
    overview, pareto, drill = w.Output(), w.Output(), w.Output()
    month = data.default_month
    dashboard.show_meeting(overview, data, month)
    assert 'id="meeting-title"' in html_of(overview)
    ids = dashboard.show_pareto(pareto, data, month, "")
    assert ids and 'id="pareto-title"' in html_of(pareto)
    dashboard.drill(drill, data, month, "", ids[0])
    assert 'id="drill-title"' in html_of(drill)
    assert find_unmasked(html_of(drill)) == []
    dashboard.clear(drill)
    assert drill.outputs == ()


def test_a_failing_view_shows_a_message_not_a_traceback(data, store, caplog):
    import matplotlib.pyplot as plt

    out = w.Output()
    open_figures = len(plt.get_fignums())
    dashboard.show_agent(out, data, data.roster.index[0], "not-a-month", store=None)
    text = html_of(out)
    assert "qaw-msg" in text and "无法显示" in text and "Traceback" not in text
    assert any("view show_agent failed" in r.message for r in caplog.records)
    assert len(plt.get_fignums()) == open_figures  # the chart drawn before the failure is freed
