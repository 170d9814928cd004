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
