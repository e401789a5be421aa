"""The SMS channel through Twilio (the twilio SDK lives only in this package)."""

from adapters.sms.adapter import SmsAdapter

__all__ = ["SmsAdapter"]
