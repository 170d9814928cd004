from __future__ import annotations

from django.test import Client

from parrain.core.models import Program


def test_demo_page_holds_both_widgets_and_one_script(client: Client, program: Program) -> None:
    response = client.get(f"/widgets/?program={program.slug}", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<script") == 1 and "parrain/widget.js" in html
    assert 'data-parrain-widget="referrer"' in html and 'data-parrain-widget="referee"' in html
    assert program.public_key in html


def test_home_page_links_to_the_widgets(client: Client, program: Program) -> None:
    assert 'href="/widgets/"' in client.get("/").content.decode()


def test_bare_view_of_the_benchmark(client: Client) -> None:
    assert client.get("/bench/bare/").json() == {"ok": True}


def test_demo_page_gives_the_loyalty_widget_an_identity_only_when_signed_in(
    client: Client, program: Program, django_user_model: object
) -> None:
    page = f"/widgets/?program={program.slug}"
    html = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-parrain-widget="loyalty"' in html and "data-parrain-identity" not in html
    user = django_user_model.objects.create_user("alice", "alice@example.com", "pw")  # type: ignore[attr-defined]
    client.force_login(user)
    html = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert html.count("data-parrain-identity") == 2  # the referrer and the loyalty widgets
    assert html.count("<script") == 1
