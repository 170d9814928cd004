"""Wagtail adapter: the referral landing page type, its blocks and the admin views.

Install with ``pip install "parrain[wagtail]"`` and add ``"parrain.plugins.wagtail"`` (app
label ``parrain_wagtail``) to ``INSTALLED_APPS`` after the Wagtail apps and
``"parrain.core"``.
"""
