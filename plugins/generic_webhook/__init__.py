"""Webhooks in and out for any shop: Shopify, WooCommerce, Saleor, or Standard Webhooks.

Inbound endpoints verify each platform's own signature and translate its events into core
service calls; outbound endpoints receive the core's referral events, signed per Standard
Webhooks and delivered by Celery with retries. Install: add
``"parrain.plugins.generic_webhook"`` to ``INSTALLED_APPS`` and include its ``urls``.
"""
