"""Video rooms: the agent of a chat meets its customer face to face in the browser."""
