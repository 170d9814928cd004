"""Adapters that plug the referral core into Oscar, Wagtail and other stacks."""
