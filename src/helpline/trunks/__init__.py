"""SIP trunks to carriers: their settings, their DIDs, and Helpline's registrations."""
