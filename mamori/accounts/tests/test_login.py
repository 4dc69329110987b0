"""Login as the policy sets it (tatebayashi 6.2(3)(4), 5.4(2)③⑥; edogawa 基準第11条, 第12条(5), 第17条第4項).

Everything goes through the real login form with the Django test client: the lockout and its release,
the banner, the last login shown, the temporary password changed first, the password rules, the idle
timeout, the re-authentication before the admin, and the per-address limit. The second factor in the
browser is in test_second_factor_browser.py.
"""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from mamori.accounts import lockout
from mamori.conftest import PASSWORD, sign_in
from mamori.journal.models import JournalEntry
from mamori.people.services import create_person, set_password
from mamori.policy.loader import preset_path, read_policy_file
from mamori.policy.services import load_policy

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
GOOD = "Kawa-Semi-2026!"  # 15 characters, four kinds, nothing of the person in it


@pytest.fixture
def root(komae):
    """A Mamori administrator of komae (second factor and re-authentication apply)."""
    return create_person(
        komae.organization,
        actor="test",
        username="komae-root",
        display_name="システム管理者",
        password=PASSWORD,
        is_staff=True,
        is_superuser=True,
        temporary_password=False,
    )


def post_login(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def logged_in_as(client: Client):
    return client.get("/accounts/security/").wsgi_request.user


def actions(prefix: str = "access.") -> list[str]:
    return list(
        JournalEntry.objects.filter(action__startswith=prefix)
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_the_login_page_shows_the_policys_banner(komae):
    page = Client().get(LOGIN).content.decode()
    assert "このシステムは狛江市の情報セキュリティインシデント対応のためのものです" in page
    assert 'id="login-banner"' in page


def test_five_failures_lock_the_id_until_an_administrator_unlocks_it(komae):
    """komae: max_failures 5, lockout_minutes null (locked until unlocked)."""
    client = Client(REMOTE_ADDR="192.0.2.20")
    for _ in range(5):
        assert post_login(client, komae.staff.username, "wrong-password").status_code in (200, 429)
    assert lockout.is_locked(komae.staff)
    # Now even the right password is refused, with a page that says what to do, in Japanese.
    refused = post_login(client, komae.staff.username, PASSWORD)
    assert refused.status_code == 429
    assert "このIDはロックされています" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert "access.locked_out" in actions()
    # A day later it is still locked: only an administrator lifts it.
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert post_login(Client(), komae.staff.username, PASSWORD).status_code == 429
    lockout.unlock(komae.staff, actor=komae.csirt_head)
    assert not lockout.is_locked(komae.staff)
    assert post_login(client, komae.staff.username, PASSWORD).status_code == 302
    unlocked = JournalEntry.objects.get(action="access.unlocked")
    assert unlocked.actor == komae.csirt_head and unlocked.data["username"] == komae.staff.username


def test_a_lock_with_a_time_limit_lifts_by_itself(komae):
    text = read_policy_file(preset_path("komae")).replace("lockout_minutes: null", "lockout_minutes: 15", 1)
    load_policy(text, actor="test", source_name="komae-15min")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            post_login(Client(), komae.staff.username, "wrong-password")
        assert post_login(Client(), komae.staff.username, PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert post_login(Client(), komae.staff.username, PASSWORD).status_code == 302


def test_failures_in_a_row_only_a_success_resets_the_count(komae):
    client = Client()
    for _ in range(4):
        post_login(client, komae.staff.username, "wrong-password")
    assert post_login(client, komae.staff.username, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        post_login(client, komae.staff.username, "wrong-password")
    assert not lockout.is_locked(komae.staff)


def test_the_admin_can_unlock_from_the_people_admin(komae, root, client):
    for _ in range(5):
        post_login(Client(), komae.staff.username, "wrong-password")
    sign_in(client, root)
    page = client.get(f"/admin/people/user/{komae.staff.pk}/change/")
    assert page.status_code == 200
    response = client.post(
        "/admin/people/user/", {"action": "unlock", "_selected_action": [komae.staff.pk]}, follow=True
    )
    assert response.status_code == 200
    assert not lockout.is_locked(komae.staff)
    assert JournalEntry.objects.filter(action="access.unlocked", actor=root).exists()


def test_after_login_the_person_sees_their_last_login_and_the_failures_since(komae):
    first = Client(REMOTE_ADDR="192.0.2.30")
    post_login(first, komae.staff.username, PASSWORD)
    page = first.get("/", follow=True).content.decode()
    assert "Mamoriへの初めてのログインです" in page
    first.post("/accounts/logout/")
    for _ in range(2):
        post_login(Client(REMOTE_ADDR="198.51.100.7"), komae.staff.username, "guess")
    second = Client(REMOTE_ADDR="192.0.2.30")
    post_login(second, komae.staff.username, PASSWORD)
    page = second.get("/", follow=True).content.decode()
    assert "前回のログイン" in page and "192.0.2.30" in page
    assert "それ以降のログイン失敗: 2回" in page


def test_a_temporary_password_must_be_changed_before_anything_else(komae):
    person = create_person(
        komae.organization,
        actor=komae.csirt_head,
        username="komae-new",
        display_name="新任 太郎",
        employee_number="A1234",
        password="Temporary-Pass-1",
    )
    assert person.must_change_password
    client = Client()
    response = post_login(client, person.username, "Temporary-Pass-1")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/password/")
    # Every other page sends them back to the change.
    assert client.get("/incidents/")["Location"].startswith("/accounts/password/")
    form = {"old_password": "Temporary-Pass-1"}
    # The policy's rules, said in Japanese: too short, too simple, contains the ID or 職員番号.
    weak = client.post("/accounts/password/", {**form, "new_password1": "abc", "new_password2": "abc"})
    text = weak.content.decode()
    assert weak.status_code == 200
    assert "12文字以上" in text
    assert "英大文字・英小文字・数字・記号のうち3種類以上" in text
    personal = "Xx-A1234-komae"
    text = client.post(
        "/accounts/password/", {**form, "new_password1": personal, "new_password2": personal}
    ).content.decode()
    assert "ユーザーID、職員番号、氏名を含めないでください" in text
    done = client.post("/accounts/password/", {**form, "new_password1": GOOD, "new_password2": GOOD})
    assert done.status_code == 302
    person.refresh_from_db()
    assert not person.must_change_password and person.check_password(GOOD)
    assert client.get("/incidents/").status_code == 200
    entry = JournalEntry.objects.filter(action="person.password_set", object_id=str(person.pk)).latest("seq")
    assert entry.actor == person and entry.data == {"usable": True, "temporary": False}


def test_edogawa_passwords_expire_after_the_policy_period(db):
    from mamori.conftest import make_org

    edogawa = make_org("edogawa")
    set_password(edogawa.staff, actor=edogawa.staff, password=GOOD)
    client = Client()
    with time_machine.travel(timezone.now() + timedelta(days=179)):
        post_login(client, edogawa.staff.username, GOOD)
        assert client.get("/incidents/").status_code == 200
    client = Client()
    with time_machine.travel(timezone.now() + timedelta(days=181)):
        post_login(client, edogawa.staff.username, GOOD)
        response = client.get("/incidents/")
        assert response["Location"].startswith("/accounts/password/")
        assert "有効期限が切れました" in client.get(response["Location"]).content.decode()


def test_idle_sessions_end_after_the_policys_minutes(komae):
    start = timezone.now()
    client = Client()
    with time_machine.travel(start, tick=False):
        post_login(client, komae.staff.username, PASSWORD)
        assert client.get("/incidents/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/incidents/").status_code == 200  # activity keeps it alive
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        response = client.get("/incidents/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        assert "_auth_user_id" not in client.session
    assert "access.timed_out" in actions()


def test_admin_pages_ask_for_the_password_again_after_the_policys_minutes(komae, root):
    start = timezone.now()
    client = Client()
    with time_machine.travel(start, tick=False):
        sign_in(client, root)
        assert client.get("/admin/").status_code == 200  # the login itself counts
    later = start + timedelta(minutes=16)
    with time_machine.travel(later, tick=False):
        response = client.get("/admin/people/user/")
        assert response["Location"].startswith("/accounts/confirm/")
        wrong = client.post("/accounts/confirm/", {"password": "nope", "next": "/admin/people/user/"})
        assert "パスワードが正しくありません" in wrong.content.decode()
        right = client.post("/accounts/confirm/", {"password": PASSWORD, "next": "/admin/people/user/"})
        assert right["Location"] == "/admin/people/user/"
        assert client.get("/admin/people/user/").status_code == 200


def test_one_address_may_try_only_so_many_logins(komae, settings):
    settings.MAMORI_LOGIN_ATTEMPTS_PER_ADDRESS = 3
    client = Client(REMOTE_ADDR="203.0.113.9")
    for name in ("a", "b", "c"):
        assert post_login(client, name, "x").status_code == 200
    blocked = post_login(client, komae.staff.username, PASSWORD)
    assert blocked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address is not affected.
    assert post_login(Client(REMOTE_ADDR="203.0.113.10"), komae.staff.username, PASSWORD).status_code == 302


def test_roles_that_approve_or_see_restricted_incidents_must_enrol_a_second_factor(komae):
    # komae: approve_publication and close → csirt_head, csirt_manager; csirt roles add handler and poc.
    for person in (komae.csirt_head, komae.csirt_manager, komae.handler, komae.poc):
        client = Client()
        response = post_login(client, person.username, PASSWORD)
        assert response["Location"].startswith("/accounts/two-factor/setup/"), person.username
        assert client.get("/incidents/")["Location"].startswith("/accounts/two-factor/setup/")
        api = client.get("/api/v1/incidents")
        assert api.status_code == 401 and api.json()["code"] == "login_incomplete"
    for person in (komae.staff, komae.system_admin, komae.ciso):
        client = Client()
        response = post_login(client, person.username, PASSWORD)
        assert response["Location"] == "/", person.username
