"""accounts.actions: profile, handles, preferences, deletion."""

from __future__ import annotations

import io

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts import actions
from accounts.errors import AccountError
from accounts.models import AuditLog, Delivery, DigestFrequency, MemberSettings, NotificationPreference, User
from accounts.preferences import KINDS
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


# --- display names --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Ad\u202emin", "Zero\u200bWidth", "tab\tname", "rtl\u2067x", "bom\ufeff"])
def test_display_name_with_invisible_or_bidi_characters_refused(member, name):
    with pytest.raises(AccountError) as info:
        actions.profile_update(user=member, display_name=name)
    assert "display_name" in info.value.message_dict
    assert "invisible or direction-changing" in info.value.message_dict["display_name"][0]
    member.refresh_from_db()
    assert member.display_name != name


def test_display_name_is_nfkc_normalised(member):
    actions.profile_update(user=member, display_name="  ＡＢＣ   ﬁsh  ")  # full-width letters and a ligature
    member.refresh_from_db()
    assert member.display_name == "ABC fish"


def test_display_name_in_other_scripts_is_fine(member):
    actions.profile_update(user=member, display_name="Անահիտ Սարգսյան")
    member.refresh_from_db()
    assert member.display_name == "Անահիտ Սարգսյան"


# --- handles --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("look_alike", ["adm1n", "admln", "ADMIN", "Admin", "a_d_m_i_n", "@admin"])
def test_look_alike_handles_refused(make_member, look_alike):
    make_member(handle="admin")
    other = make_member()
    with pytest.raises(AccountError) as info:
        actions.profile_update(user=other, handle=look_alike)
    assert "looks too much like another member" in info.value.message_dict["handle"][0]
    other.refresh_from_db()
    assert other.handle != "admin"


def test_cyrillic_handle_refused(make_member):
    make_member(handle="admin")
    other = make_member()
    with pytest.raises(AccountError) as info:
        actions.handle_set(user=other, handle="\u0430dmin")  # Cyrillic а
    assert "letters a-z" in info.value.message_dict["handle"][0]


def test_look_alike_of_another_member_refused_with_handle_set(make_member):
    make_member(handle="marta")
    other = make_member()
    with pytest.raises(AccountError):
        actions.handle_set(user=other, handle="rnarta")  # "rn" reads like "m"


def test_reserved_handles_refused_for_new_owners(member):
    with pytest.raises(AccountError) as info:
        actions.handle_set(user=member, handle="m0derator")
    assert "reserved" in info.value.message_dict["handle"][0]


def test_handle_set_stores_skeleton_and_audits(member):
    actions.handle_set(user=member, handle="New_Name")
    member.refresh_from_db()
    assert member.handle == "new_name"
    assert member.handle_skeleton == "newname"
    assert AuditLog.objects.filter(action="accounts.profile.update", target_id=str(member.pk)).exists()


def test_member_may_keep_own_handle_and_change_case_of_nothing(make_member):
    user = make_member(handle="admin")  # the demo admin holds a reserved handle
    actions.profile_update(user=user, handle="admin", display_name="Alex")
    user.refresh_from_db()
    assert user.handle == "admin" and user.display_name == "Alex"


def test_profile_update_is_all_or_nothing(member):
    before = member.display_name
    with pytest.raises(AccountError) as info:
        actions.profile_update(user=member, display_name="Fine Name", time_zone="Mars/Olympus")
    assert set(info.value.message_dict) == {"time_zone"}
    member.refresh_from_db()
    assert member.display_name == before


def test_bio_is_rendered_through_markup(member):
    actions.profile_update(user=member, bio="I like **bold** tea <script>alert(1)</script>")
    member.refresh_from_db()
    assert "<strong>bold</strong>" in member.bio_html
    assert "<script" not in member.bio_html
    actions.profile_update(user=member, bio="")
    member.refresh_from_db()
    assert member.bio == "" and member.bio_html == ""


def test_language_and_time_zone(member):
    actions.profile_update(user=member, locale="lv", time_zone="Europe/Riga")
    member.refresh_from_db()
    assert (member.locale, member.time_zone) == ("lv", "Europe/Riga")
    with pytest.raises(AccountError) as info:
        actions.profile_update(user=member, locale="xx")
    assert "locale" in info.value.message_dict


# --- preferences ----------------------------------------------------------------------------------------


def test_preferences_update_stores_only_differences_from_defaults(member):
    deliveries = {kind.key: kind.default for kind in KINDS}
    deliveries["reply"] = Delivery.OFF
    deliveries["reaction"] = Delivery.DIGEST
    actions.preferences_update(user=member, deliveries=deliveries, digest_frequency=DigestFrequency.DAILY,
                               newsletter_opt_in=True, show_in_attendee_lists=False)
    rows = dict(NotificationPreference.objects.filter(user=member).values_list("kind", "delivery"))
    assert rows == {"reply": Delivery.OFF, "reaction": Delivery.DIGEST}
    settings_row = MemberSettings.objects.get(user=member)
    assert settings_row.digest_frequency == DigestFrequency.DAILY
    assert settings_row.newsletter_opt_in and not settings_row.show_in_attendee_lists

    deliveries["reply"] = next(k.default for k in KINDS if k.key == "reply")
    deliveries["reaction"] = Delivery.EMAIL
    actions.preferences_update(user=member, deliveries=deliveries, digest_frequency=DigestFrequency.WEEKLY,
                               newsletter_opt_in=False, show_in_attendee_lists=True)
    rows = dict(NotificationPreference.objects.filter(user=member).values_list("kind", "delivery"))
    assert rows == {"reaction": Delivery.EMAIL}


def test_preferences_update_refuses_unknown_values(member):
    with pytest.raises(AccountError):
        actions.preferences_update(user=member, deliveries={"reply": "carrier-pigeon"},
                                   digest_frequency=DigestFrequency.DAILY, newsletter_opt_in=False,
                                   show_in_attendee_lists=True)


def test_preferences_update_is_query_bounded(member, django_assert_max_num_queries):
    deliveries = {kind.key: Delivery.OFF for kind in KINDS}
    with django_assert_max_num_queries(6):
        actions.preferences_update(user=member, deliveries=deliveries, digest_frequency=DigestFrequency.OFF,
                                   newsletter_opt_in=False, show_in_attendee_lists=True)
    assert NotificationPreference.objects.filter(user=member).count() == len(KINDS)


# --- deletion -------------------------------------------------------------------------------------------


def _png_upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    return SimpleUploadedFile("me.png", buffer.getvalue(), content_type="image/png")


def test_delete_with_wrong_password_refused(member):
    with pytest.raises(AccountError) as info:
        actions.account_delete(user=member, password="not my password")
    assert "not your current password" in info.value.message_dict["password"][0]
    member.refresh_from_db()
    assert member.deleted_at is None and member.is_active


def test_delete_erases_personal_data_and_keeps_contributions(member, other_member,
                                                           django_capture_on_commit_callbacks):
    actions.profile_update(user=member, bio="hello", display_name="Real Name")
    actions.avatar_set(user=member, upload=_png_upload())
    member.refresh_from_db()
    avatar_name = member.avatar.name
    storage = User._meta.get_field("avatar").storage
    assert storage.exists(avatar_name)
    SocialAccount.objects.create(user=member, provider="github", uid="12345")
    NotificationPreference.objects.create(user=member, kind="reply", delivery=Delivery.OFF)
    # A contribution that references the member: an audit entry they made about someone else.
    contribution = actions.audit(actor=member, action="forum.post.flag", target=other_member)
    email = member.email

    with django_capture_on_commit_callbacks(execute=True):
        actions.account_delete(user=member, password=PASSWORD)

    member.refresh_from_db()
    assert member.email == f"deleted-{member.pk}@invalid"
    assert member.handle is None and member.handle_skeleton is None
    assert member.display_name == "" and member.bio == "" and member.bio_html == "" and not member.avatar
    assert not member.has_usable_password() and not member.is_active and member.deleted_at is not None
    assert member.name == "deleted member"
    assert not storage.exists(avatar_name)
    assert not EmailAddress.objects.filter(user=member).exists()
    assert not EmailAddress.objects.filter(email__iexact=email).exists()
    assert not SocialAccount.objects.filter(user=member).exists()
    assert not NotificationPreference.objects.filter(user=member).exists()
    assert not MemberSettings.objects.filter(user=member).exists()
    assert not member.groups.exists()

    contribution.refresh_from_db()
    assert contribution.actor_id == member.pk
    assert contribution.actor.name == "deleted member"
    assert AuditLog.objects.filter(action="accounts.member.erase", target_id=str(member.pk)).exists()
    assert User.objects.active().filter(pk=member.pk).count() == 0
    # The old address is free again: someone may sign up with it.
    assert not User.objects.filter(email__iexact=email).exists()


def test_delete_calls_app_erasers(member, monkeypatch):
    from accounts import export

    erased = []
    monkeypatch.setattr(export, "_providers", lambda name: iter([("forum", lambda user: erased.append(user.pk))]))
    actions.account_delete(user=member, password=PASSWORD)
    assert erased == [member.pk]


def test_delete_twice_refused(member):
    actions.account_delete(user=member, password=PASSWORD)
    with pytest.raises(AccountError):
        actions.account_delete(user=member, password=PASSWORD)


def test_member_without_password_confirms_with_email(member):
    member.set_unusable_password()
    member.save()
    with pytest.raises(AccountError):
        actions.account_delete(user=member, password="")
    actions.account_delete(user=member, password=member.email.upper())
    member.refresh_from_db()
    assert member.deleted_at is not None


def test_simultaneous_lookalike_handle_is_refused_by_the_constraint(make_member, monkeypatch):
    """Two members asking for mistakable handles at the same moment: the unique skeleton decides."""
    make_member(handle="river")
    other = make_member()
    # Pretend the check ran before the first member took the handle.
    monkeypatch.setattr(actions, "_checked_handle", lambda *, user, handle: ("rlver", "rlver"))
    with pytest.raises(AccountError) as info:
        actions.handle_set(user=other, handle="rlver")
    assert "just taken" in info.value.message_dict["handle"][0]
    other.refresh_from_db()
    assert other.handle != "rlver"
