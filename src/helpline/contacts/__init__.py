"""Contacts: the people who call and write, shared by voice and chat."""
