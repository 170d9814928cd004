from django.db import models
from django.utils.translation import gettext_lazy as _


class Side(models.TextChoices):
    REFERRER = "referrer", _("Referrer reward")
    REFEREE = "referee", _("Referee welcome offer")
    PRIZE = "prize", _("Contest prize")  # a rule a contest prize is fulfilled with


class RewardKind(models.TextChoices):
    FIXED_AMOUNT = "fixed_amount", _("Fixed amount off")
    PERCENTAGE = "percentage", _("Percentage off")
    FREE_SHIPPING = "free_shipping", _("Free shipping")
    FREE_PRODUCT = "free_product", _("Free product")
    LOYALTY_POINTS = "loyalty_points", _("Loyalty points")
    MANUAL = "manual", _("Gift card or cash, fulfilled by hand")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    FACEBOOK = "facebook", _("Facebook")
    MESSENGER = "messenger", _("Messenger")
    X = "x", _("X")
    LINKEDIN = "linkedin", _("LinkedIn")
    LINK = "link", _("Share link")
    QR = "qr", _("QR code")
    OTHER = "other", _("Other")


class FraudAction(models.TextChoices):
    OFF = "off", _("Off")
    REVIEW = "review", _("Hold for review")
    BLOCK = "block", _("Refuse")


class ReferralStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    REGISTERED = "registered", _("Registered")
    REVIEW = "review", _("Waiting for review")
    CONVERTED = "converted", _("Converted")
    VALIDATED = "validated", _("Validated")
    REWARDED = "rewarded", _("Rewarded")
    CANCELLED = "cancelled", _("Cancelled")


class RewardStatus(models.TextChoices):
    # Code decided and committed, not yet created in the shop (remote fulfilment backends).
    PENDING = "pending", _("Pending")
    ISSUED = "issued", _("Issued")
    SENT = "sent", _("Sent")
    REDEEMED = "redeemed", _("Redeemed")
    CANCELLED = "cancelled", _("Cancelled")
