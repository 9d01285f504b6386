"""fast_reverse gives exactly what reverse gives."""

from __future__ import annotations

import pytest
from django.urls import reverse

from community.forum.routes import fast_reverse


@pytest.mark.parametrize("name, kwargs", [
    ("forum:topic", {"slug": "how-to-reset", "pk": 12}),
    ("forum:topic", {"slug": "ինչպես-պահպանել", "pk": 3}),
    ("forum:topic", {"slug": "kā-pagarināt", "pk": 7}),
    ("forum:post", {"slug": "x", "pk": 1, "number": 20}),
    ("forum:category", {"slug": "members-lounge"}),
    ("forum:tag", {"slug": "wi-fi"}),
    ("forum:react", {"pk": 99}),
])
def test_fast_reverse_matches_reverse(name, kwargs):
    assert fast_reverse(name, **kwargs) == reverse(name, kwargs=kwargs)
    assert fast_reverse(name, **kwargs) == reverse(name, kwargs=kwargs)  # from the cached template too
