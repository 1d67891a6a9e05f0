"""Call queues, chat queues and campaigns, and who is assigned to them."""
