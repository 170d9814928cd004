"""Seed the demo shop: a small catalogue, a shipping country, a referrer with an account.

``python manage.py parrain_oscar_demo`` (after ``parrain_demo``); safe to run again.
Demo only: the passwords are printed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand
from django.db import transaction
from oscar.core.loading import get_model

from parrain.core.conf import parrain_settings
from parrain.core.services.enrolment import enrol_referrer

from ...program import shop_program

Category = get_model("catalogue", "Category")
Country = get_model("address", "Country")
Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductClass = get_model("catalogue", "ProductClass")
StockRecord = get_model("partner", "StockRecord")

CATALOGUE = [
    ("LUM-001", "Lampe de chevet Opaline", "39.00"),
    ("LUM-002", "Suspension en rotin", "89.00"),
    ("LUM-003", "Bougie parfumée Figuier", "24.00"),
    ("LUM-004", "Guirlande lumineuse 10 m", "19.00"),
    ("LUM-005", "Lampadaire laiton", "149.00"),
    ("LUM-006", "Applique murale céramique", "59.00"),
]
REFERRER = ("alice@example.com", "Alice", "alice-demo-2026")


class Command(BaseCommand):
    help = "Seed the demo Oscar shop (catalogue, shipping country, a referrer account)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        host = parrain_settings.BASE_URL.split("://", 1)[-1].rstrip("/")
        Site.objects.update_or_create(pk=1, defaults={"domain": host, "name": "Maison Lumière"})
        Country.objects.update_or_create(
            iso_3166_1_a2="FR",
            defaults={
                "iso_3166_1_a3": "FRA",
                "iso_3166_1_numeric": "250",
                "printable_name": "France",
                "name": "France",
                "is_shipping_country": True,
            },
        )
        created = self._catalogue()
        self._referrer()
        self.stdout.write(f"demo shop: {created} new products, {len(CATALOGUE)} in the catalogue")

    def _catalogue(self) -> int:
        product_class, _ = ProductClass.objects.get_or_create(
            name="Luminaire", defaults={"requires_shipping": True, "track_stock": True}
        )
        category = Category.objects.filter(name="Luminaires").first() or Category.add_root(
            name="Luminaires"
        )
        partner, _ = Partner.objects.get_or_create(name="Maison Lumière")
        created = 0
        for upc, title, price in CATALOGUE:
            product, new = Product.objects.get_or_create(
                upc=upc, defaults={"title": title, "product_class": product_class}
            )
            created += new
            ProductCategory.objects.get_or_create(product=product, category=category)
            StockRecord.objects.update_or_create(
                product=product,
                partner=partner,
                defaults={
                    "partner_sku": upc,
                    "price": Decimal(price),
                    "price_currency": "EUR",
                    "num_in_stock": 1000,
                },
            )
        return created

    def _referrer(self) -> None:
        email, first_name, password = REFERRER
        user, new = get_user_model().objects.get_or_create(
            username="alice", defaults={"email": email, "first_name": first_name}
        )
        if new:
            user.set_password(password)
            user.save()
        try:
            program = shop_program()
        except ImproperlyConfigured as exc:
            self.stdout.write(f"{exc} Run parrain_demo first.")
            return
        if program is None:
            self.stdout.write("the shop's program is paused: no referrer enrolled")
            return
        shop_url = f"{parrain_settings.BASE_URL.rstrip('/')}/shop/"
        if program.landing_url != shop_url:
            program.landing_url = shop_url
            program.save(update_fields=["landing_url"])
        enrolment = enrol_referrer(
            program, email, first_name=first_name, actor="demo", vouched=True
        )
        self.stdout.write(f"referrer {email} / {password}: share link {enrolment.share_url}")
