"""SMS and MMS providers. Twilio's webhook and REST formats are the first (and the format
other providers often imitate): :mod:`helpline.channels.sms.twilio`."""
