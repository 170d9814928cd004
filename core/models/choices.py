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


# --- Scenarios and messages (issue 13) -------------------------------------------------


class MessageKind(models.TextChoices):
    """What a message is for. Each kind has a shipped template per channel and language."""

    INVITATION = "invitation", _("Invitation (referrer to friend)")
    FRIEND_REMINDER = "friend_reminder", _("Reminder to the friend")
    WELCOME = "welcome", _("Welcome code (friend)")
    INCITATION = "incitation", _("Invitation to refer (customer)")
    REWARD = "reward", _("Reward notice (referrer)")
    REVIEW_REQUEST = "review_request", _("Review request (customer)")
    BADGE_AWARDED = "badge_awarded", _("Badge earned")
    CONTEST_WON = "contest_won", _("Contest won")
    BOOST_ANNOUNCEMENT = "boost_announcement", _("Boosted offer announcement")
    CONFIRMATION = "confirmation", _("Address confirmation (referrer)")


# Messages a person asked for or is owed (their invitation, their code, their reward, their
# prize, their address check): sent at once, never held by the pressure cap, quiet hours or
# minimum gap, and not counted by them. Every other kind is a solicitation.
TRANSACTIONAL_KINDS = frozenset(
    {
        MessageKind.INVITATION,
        MessageKind.WELCOME,
        MessageKind.REWARD,
        MessageKind.CONTEST_WON,
        MessageKind.CONFIRMATION,
    }
)


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Trigger(models.TextChoices):
    """The event that starts a scenario step's clock. Subject: see TRIGGER_SUBJECT."""

    INVITATION_SENT = "invitation_sent", _("Invitation sent")
    FRIEND_CLAIMED = "friend_claimed", _("Friend claimed the welcome offer")
    FRIEND_REGISTERED = "friend_registered", _("Friend registered")
    FRIEND_FIRST_ORDER = "friend_first_order", _("Friend's first order")
    ORDER_PLACED = "order_placed", _("Order placed by any customer")
    BECAME_CUSTOMER = "became_customer", _("Contact became a customer")
    REFERRAL_VALIDATED = "referral_validated", _("Referral validated")
    REWARD_ISSUED = "reward_issued", _("Reward issued")
    BADGE_EARNED = "badge_earned", _("Badge earned")
    CONTEST_DRAWN = "contest_drawn", _("Contest drawn")
    BOOST_STARTED = "boost_started", _("Boosted offer started")


class Recipient(models.TextChoices):
    """Who of the trigger's people a step writes to (TRIGGER_ROLES lists who each has)."""

    REFERRER = "referrer", _("Referrer")
    FRIEND = "friend", _("Friend (referee)")
    CONTACT = "contact", _("The contact concerned")


# The model a trigger's ``subject`` is ("invitation", "referral", "order", "contact",
# "reward", "badgeholding", "contestwinner", "boost": ScheduledMessage.subject_type).
TRIGGER_SUBJECT = {
    Trigger.INVITATION_SENT: "invitation",
    Trigger.FRIEND_CLAIMED: "referral",
    Trigger.FRIEND_REGISTERED: "referral",
    Trigger.FRIEND_FIRST_ORDER: "referral",
    Trigger.ORDER_PLACED: "order",
    Trigger.BECAME_CUSTOMER: "contact",
    Trigger.REFERRAL_VALIDATED: "referral",
    Trigger.REWARD_ISSUED: "reward",
    Trigger.BADGE_EARNED: "badgeholding",
    Trigger.CONTEST_DRAWN: "contestwinner",
    Trigger.BOOST_STARTED: "boost",  # fanned out to every referrer of the program
}

TRIGGER_ROLES = {
    Trigger.INVITATION_SENT: (Recipient.FRIEND, Recipient.REFERRER),
    Trigger.FRIEND_CLAIMED: (Recipient.FRIEND, Recipient.REFERRER),
    Trigger.FRIEND_REGISTERED: (Recipient.FRIEND, Recipient.REFERRER),
    Trigger.FRIEND_FIRST_ORDER: (Recipient.FRIEND, Recipient.REFERRER),
    Trigger.ORDER_PLACED: (Recipient.CONTACT,),
    Trigger.BECAME_CUSTOMER: (Recipient.CONTACT,),
    Trigger.REFERRAL_VALIDATED: (Recipient.REFERRER, Recipient.FRIEND),
    Trigger.REWARD_ISSUED: (Recipient.CONTACT,),
    Trigger.BADGE_EARNED: (Recipient.CONTACT,),
    Trigger.CONTEST_DRAWN: (Recipient.CONTACT,),
    Trigger.BOOST_STARTED: (Recipient.REFERRER,),
}


class Audience(models.TextChoices):
    """Conditions a step's recipient must meet, checked when the step is scheduled and again
    when it is due: a step whose goal was reached meanwhile is dropped with the condition."""

    OPTED_IN = "opted_in", _("Agreed to be recontacted")
    NOT_CLAIMED = "not_claimed", _("Friend has not claimed the offer yet")
    NOT_CONVERTED = "not_converted", _("Friend has not ordered yet")
    NO_REWARD_YET = "no_reward_yet", _("Has no reward yet")
    NOT_REFERRER = "not_referrer", _("Has not referred anyone yet")
    IS_CUSTOMER = "is_customer", _("Is a customer")


class DelayUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENT = "sent", _("Sent")
    DROPPED = "dropped", _("Dropped")
    FAILED = "failed", _("Failed")


class MessageRule(models.TextChoices):
    """Why a message was delayed, dropped or failed (ScheduledMessage.delayed_by / reason).
    A dropped message whose audience condition no longer holds has the Audience value as
    its reason instead (e.g. "not_converted": the friend ordered meanwhile)."""

    PRESSURE_CAP = "pressure_cap", _("Weekly message limit reached")
    QUIET_HOURS = "quiet_hours", _("Quiet hours")
    MIN_GAP = "min_gap", _("Too soon after the previous message")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    NO_CONSENT = "no_consent", _("No consent for this channel")
    NO_ADDRESS = "no_address", _("No email address or phone number")
    SUBJECT_GONE = "subject_gone", _("What it was about no longer exists")
    STEP_OFF = "step_off", _("Step switched off or deleted")
    ERASED = "erased", _("Contact erased")
    RENDER_ERROR = "render_error", _("Template error")
    TRANSPORT_ERROR = "transport_error", _("Delivery error")


class ImportSource(models.TextChoices):
    """Where a contact import's rows came from (issue 14): one import service for all."""

    FILE = "file", _("Uploaded file")
    URL = "url", _("Regular import from a URL")
    API = "api", _("Server API")
    OSCAR = "oscar", _("Oscar shop")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Columns to map")
    CHECKING = "checking", _("Dry run in progress")
    CHECKED = "checked", _("Ready to import")
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


#: An import in one of these states holds the program's import slot (one at a time).
ACTIVE_IMPORT_STATUSES = (ImportStatus.CHECKING, ImportStatus.QUEUED, ImportStatus.RUNNING)


class ConsentChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class ConsentSource(models.TextChoices):
    """Where a consent was given or withdrawn: shown in the contact's consent history."""

    WIDGET = "widget", _("Referral widget")
    IMPORT = "import", _("Contact import")
    API = "api", _("Server API")
    WEBHOOK = "webhook", _("Shop webhook")
    OSCAR = "oscar", _("Oscar shop registration")
    ACCOUNT = "account", _("Customer account page")
    ADMIN = "admin", _("Administration")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
    SMS_STOP = "sms_stop", _("SMS STOP reply")
