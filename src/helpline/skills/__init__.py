"""Skills, agents' proficiency in them, and the skills queues require."""
