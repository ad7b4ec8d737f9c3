"""The shipped template prints each timeline row's cells as postmortem_context made them
(markdown.document_rows), not through a filter call per row. A team's own template written
for the rows as they were (row.at, row.text, row.event_id, recorded_later, the filters)
must still work, and give the very same document."""

from __future__ import annotations

from tests.export.test_large_export_bytes import NOW, document
from warroom.adapters.export.markdown import (
    POSTMORTEM_TEMPLATE,
    make_environment,
    postmortem_context,
    render_postmortem,
    render_postmortem_file,
)
from warroom.domain.policy import load_policy_file
from warroom.domain.postmortem import timeline_rows
from warroom.system.paths import builtin_policy_file, templates_dir

NEW_ROW = "| {{ row.time_cell }} | {{ row.event_cell }} |\n"
OLD_ROW = (
    "| {{ row.at | utc(false) }} | {{ row.text | md_cell }}"
    "{{ recorded_later.get(row.event_id) | entered_later }} |\n"
)


def test_a_template_using_the_rows_as_they_were_gives_the_same_document(tmp_path):
    shipped = (templates_dir() / POSTMORTEM_TEMPLATE).read_text(encoding="utf-8")
    assert shipped.count(NEW_ROW) == 1
    own = tmp_path / "team.md.j2"
    own.write_text(shipped.replace(NEW_ROW, OLD_ROW), encoding="utf-8")
    incident, postmortem, events = document(3_000, seed=11)
    policy = load_policy_file(builtin_policy_file())
    expected = render_postmortem(make_environment(), incident, postmortem, events, policy, NOW)
    got = render_postmortem_file(incident, postmortem, events, policy, NOW, own)
    assert got == expected
    assert "(entered later, " in got


def test_the_rows_keep_the_domain_rows_fields():
    incident, postmortem, events = document(500, seed=3)
    policy = load_policy_file(builtin_policy_file())
    context = postmortem_context(incident, postmortem, events, policy, NOW)
    rows = timeline_rows(events, postmortem)
    assert [(r.at, r.text, r.event_id, r.hidden) for r in context["rows"]] == [
        (r.at, r.text, r.event_id, r.hidden) for r in rows
    ]
    assert context["recorded_later"]


def test_the_collector_is_paused_while_rows_are_built_and_on_again_after():
    import gc

    from warroom.system.collector import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the outer pause turns it back on
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    try:
        with collector_paused():
            raise ValueError
    except ValueError:
        pass
    assert gc.isenabled()
    incident, postmortem, events = document(50, seed=5)
    policy = load_policy_file(builtin_policy_file())
    render_postmortem(make_environment(), incident, postmortem, events, policy, NOW)
    assert gc.isenabled()
