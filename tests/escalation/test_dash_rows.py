"""The dashboard tables' rows are written in Python for speed: they must read exactly as the
template loop they replaced, escaping, numbers, dates and yes/no included."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import timezone

from escalation.dashboard import Table
from tickets.templatetags.helpdesk_tags import dash_rows

TEMPLATE_LOOP = (Path(__file__).parents[1] / "data" / "dash_rows_loop.html").read_text()


def squeezed(html: str) -> str:
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", html).strip()


ROWS = [
    ["Alice <admin> & co", 12, 10, 2, 83.33333, 3600.5, None],
    ['O\'Hara "quoted"', 0, True, False, 1234567, -1.0, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)],
    ["—", 1, 1.0, 0.1 + 0.2, "12.5 %", "3 h 5 min", ""],
]


@pytest.mark.parametrize(
    "table",
    [
        Table("raw", "Raw", ["A"], ROWS),
        Table("shown", "Shown", ["A"], ROWS, [[str(c) for c in row] for row in ROWS]),
        Table("empty-shown", "Empty shown", ["A"], ROWS, []),
        Table("none", "None", ["A"], []),
    ],
    ids=lambda table: table.name,
)
def test_dash_rows_read_as_the_template_loop(table):
    with timezone.override("Europe/Bucharest"):
        expected = Template(TEMPLATE_LOOP).render(Context({"table": table}))
        written = dash_rows(table)
    assert squeezed(written) == squeezed(expected)
    if table.name == "raw":
        assert "Alice &lt;admin&gt; &amp; co" in written
        assert '<td class="num">yes</td><td class="num">no</td>' in written
        assert "2026" in written and "4:30" in written  # in the viewer's zone, as {{ }} shows
