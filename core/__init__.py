"""Parrain's referral core: programs, contacts, invitations, referrals, orders, rewards."""
