"""Parrain inside a Django Oscar shop: vouchers, order tracking, dashboard, account page.

Install with ``pip install "parrain[oscar]"``; see docs/howto-oscar.md.
"""
