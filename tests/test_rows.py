"""config.db.rows.one_row: the same instance the ORM would give, every column converted the same way."""

from __future__ import annotations

import pytest

from community.forum import actions
from community.forum.models import Category
from config.db.rows import one_row

pytestmark = pytest.mark.django_db


def test_one_row_matches_the_orm(staff_member):
    category = actions.category_create(actor=staff_member, name="Général", slug="general", qa_mode=True,
                                       slow_mode_seconds=30)
    loaded = one_row(Category, "slug", "general")
    expected = Category.objects.get(pk=category.pk)
    assert {f.attname: getattr(loaded, f.attname) for f in Category._meta.concrete_fields} == \
        {f.attname: getattr(expected, f.attname) for f in Category._meta.concrete_fields}
    assert loaded._state.adding is False and loaded._state.db == "default"  # a saved instance, as from the ORM
    assert one_row(Category, "slug", "no-such-category") is None
